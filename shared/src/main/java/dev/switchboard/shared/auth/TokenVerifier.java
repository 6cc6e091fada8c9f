package dev.switchboard.shared.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.NoSuchKeyIdException;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SignatureException;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks JSON Web Tokens: the signature against the keys of a JWKS (read from a file or fetched
 * from a URL, and read again every {@code jwksRefresh}), then the claims: {@code iss} and
 * {@code aud} as configured, {@code sub} and {@code exp} present, {@code exp}, {@code nbf} and
 * {@code iat} within the clock skew. Only signed tokens pass; keys of the JWKS marked for
 * encryption are left out. Reading the keys again keeps the last good set when the new read fails,
 * so a flaky key server never locks everyone out. One per process, shared by every event loop.
 */
public final class TokenVerifier {

  private static final Logger log = LoggerFactory.getLogger(TokenVerifier.class);
  /** Longer than any token an identity provider issues; longer ones are refused unread. */
  public static final int MAX_TOKEN_LENGTH = 8 * 1024;
  /** A JWKS is a handful of keys; a bigger answer is not one. */
  static final int MAX_JWKS_BYTES = 256 * 1024;
  static final long FETCH_TIMEOUT_MILLIS = 10_000;
  /** The end of 9999: a later {@code exp} is no date a token means (and past what timers can count in milliseconds). */
  static final long LATEST_EXPIRY = 253_402_300_799L;

  private final Vertx vertx;
  private final AuthOptions options;
  private final Clock clock;
  private final HttpClient http;
  private final AtomicLong lastRead = new AtomicLong();
  private volatile JWTAuth keys;
  private long timer = -1;

  private TokenVerifier(Vertx vertx, AuthOptions options, Clock clock) {
    this.vertx = vertx;
    this.options = options;
    this.clock = clock;
    this.http = options.jwksIsUrl()
      ? vertx.createHttpClient(new HttpClientOptions().setConnectTimeout((int) FETCH_TIMEOUT_MILLIS).setIdleTimeout(30).setSsl(options.jwks().startsWith("https://")))
      : null;
  }

  /**
   * Reads the keys once and keeps them fresh; fails when the first read fails (a service that
   * requires tokens and has no keys would turn everyone away).
   */
  public static Future<TokenVerifier> start(Vertx vertx, AuthOptions options) {
    return start(vertx, options, Clock.systemUTC());
  }

  static Future<TokenVerifier> start(Vertx vertx, AuthOptions options, Clock clock) {
    if (!options.enabled()) {
      return Future.failedFuture(new IllegalStateException("auth.jwks is not set: no token can be checked"));
    }
    TokenVerifier verifier = new TokenVerifier(vertx, options, clock);
    return verifier.readKeys().map(v -> {
      verifier.timer = vertx.setPeriodic(options.jwksRefresh().toMillis(), id -> verifier.readKeys()
        .onFailure(e -> log.warn("could not read the token keys again from {} (the last ones stay): {}", options.jwks(), e.getMessage())));
      return verifier;
    });
  }

  /** The identity a token proves; fails with {@link TokenRejectedException} for any bad token. */
  public Future<Identity> verify(String token) {
    if (token == null || token.isEmpty()) {
      return Future.failedFuture(new TokenRejectedException("no token"));
    }
    if (token.length() > MAX_TOKEN_LENGTH) {
      return Future.failedFuture(new TokenRejectedException("token too long"));
    }
    return decode(token).recover(e -> {
      // A key the issuer rotated in since the last read: read now, at most once per MIN_REFRESH.
      if (e instanceof NoSuchKeyIdException && mayReadEarly()) {
        return readKeys().recover(failed -> Future.succeededFuture()).compose(v -> decode(token));
      }
      return Future.failedFuture(e);
    }).transform(done -> done.succeeded()
      ? claims(done.result())
      : Future.failedFuture(rejection(done.cause())));
  }

  /** Stops reading the keys again. */
  public void close() {
    vertx.cancelTimer(timer);
    if (http != null) {
      http.close();
    }
  }

  private Future<JsonObject> decode(String token) {
    return keys.authenticate(new TokenCredentials(token)).map(user -> user.attributes().getJsonObject("accessToken"));
  }

  private Future<Identity> claims(JsonObject claims) {
    long now = clock.instant().getEpochSecond();
    long skew = options.clockSkew().toSeconds();
    if (!options.issuer().equals(claims.getValue("iss"))) {
      return reject("wrong issuer");
    }
    if (!audienceMatches(claims.getValue("aud"))) {
      return reject("wrong audience");
    }
    if (!(claims.getValue("sub") instanceof String subject) || subject.isEmpty()) {
      return reject("no subject");
    }
    if (!(claims.getValue("exp") instanceof Number exp)) {
      return reject("no expiry");
    }
    if (exp.longValue() > LATEST_EXPIRY) {
      return reject("expiry out of range");
    }
    if (exp.longValue() + skew <= now) {
      return reject("token expired");
    }
    if (claims.getValue("nbf") instanceof Number nbf && nbf.longValue() - skew > now) {
      return reject("token not valid yet");
    }
    if (claims.getValue("iat") instanceof Number iat && iat.longValue() - skew > now) {
      return reject("token issued in the future");
    }
    Set<String> scopes = scopes(claims);
    if (scopes == null) {
      return reject("scope must be a space-separated string or an array of strings");
    }
    return Future.succeededFuture(new Identity(subject, scopes, Instant.ofEpochSecond(exp.longValue()), claims));
  }

  private boolean audienceMatches(Object aud) {
    if (aud instanceof String one) {
      return options.audience().contains(one);
    }
    if (aud instanceof JsonArray many) {
      return many.stream().anyMatch(options.audience()::contains);
    }
    return false;
  }

  /** {@code scope} as OAuth 2.0 writes it, or {@code scp} as some providers do; null when malformed. */
  private static Set<String> scopes(JsonObject claims) {
    Set<String> scopes = new HashSet<>();
    for (String claim : new String[] {"scope", "scp"}) {
      Object value = claims.getValue(claim);
      if (value instanceof String text) {
        for (String scope : text.trim().split("\\s+")) {
          if (!scope.isEmpty()) {
            scopes.add(scope);
          }
        }
      } else if (value instanceof JsonArray list) {
        for (Object scope : list) {
          if (!(scope instanceof String name)) {
            return null;
          }
          scopes.add(name);
        }
      } else if (value != null) {
        return null;
      }
    }
    return scopes;
  }

  private static <T> Future<T> reject(String reason) {
    return Future.failedFuture(new TokenRejectedException(reason));
  }

  private static TokenRejectedException rejection(Throwable cause) {
    if (cause instanceof TokenRejectedException rejected) {
      return rejected;
    }
    if (cause instanceof NoSuchKeyIdException) {
      return new TokenRejectedException("signed by an unknown key");
    }
    if (cause instanceof SignatureException) {
      return new TokenRejectedException("bad signature");
    }
    return new TokenRejectedException("malformed token");
  }

  private boolean mayReadEarly() {
    long now = System.nanoTime();
    long last = lastRead.get();
    return now - last >= AuthOptions.MIN_REFRESH.toNanos() && lastRead.compareAndSet(last, now);
  }

  // ---- the keys

  private Future<Void> readKeys() {
    lastRead.set(System.nanoTime());
    return fetch().map(body -> {
      JWTAuthOptions auth = new JWTAuthOptions().setJWTOptions(new JWTOptions().setIgnoreExpiration(true));
      int usable = 0;
      JsonArray list;
      try {
        list = new JsonObject(body).getJsonArray("keys");
      } catch (DecodeException | ClassCastException e) {
        throw new IllegalStateException(options.jwks() + " is not a JWKS (a JSON object with a keys array)");
      }
      if (list == null) {
        throw new IllegalStateException(options.jwks() + " is not a JWKS (a JSON object with a keys array)");
      }
      for (Object key : list) {
        if (key instanceof JsonObject jwk && !"enc".equals(jwk.getString("use")) && jwk.containsKey("kty")) {
          auth.addJwk(jwk);
          usable++;
        }
      }
      if (usable == 0) {
        throw new IllegalStateException(options.jwks() + " holds no signing key");
      }
      keys = JWTAuth.create(vertx, auth);
      log.debug("read {} token signing keys from {}", usable, options.jwks());
      return null;
    });
  }

  private Future<Buffer> fetch() {
    if (http == null) {
      return vertx.fileSystem().readFile(options.jwks()).compose(body -> body.length() > MAX_JWKS_BYTES
        ? Future.failedFuture(new IllegalStateException(options.jwks() + " is larger than " + MAX_JWKS_BYTES + " bytes"))
        : Future.succeededFuture(body));
    }
    return http.request(new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(options.jwks()).setTimeout(FETCH_TIMEOUT_MILLIS))
      .compose(request -> request.send())
      .compose(response -> {
        if (response.statusCode() != 200) {
          return Future.failedFuture(new IllegalStateException(options.jwks() + " answered " + response.statusCode()));
        }
        String length = response.getHeader("content-length");
        if (length != null && (!length.matches("\\d{1,11}") || Long.parseLong(length) > MAX_JWKS_BYTES)) {
          return Future.failedFuture(new IllegalStateException(options.jwks() + " is larger than " + MAX_JWKS_BYTES + " bytes"));
        }
        Buffer body = Buffer.buffer();
        return Future.<Buffer>future(promise -> {
          response.handler(chunk -> {
            if (body.length() + chunk.length() > MAX_JWKS_BYTES) {
              response.request().reset();
              promise.tryFail(new IllegalStateException(options.jwks() + " is larger than " + MAX_JWKS_BYTES + " bytes"));
            } else {
              body.appendBuffer(chunk);
            }
          });
          response.exceptionHandler(promise::tryFail);
          response.endHandler(v -> promise.tryComplete(body));
        });
      });
  }
}
