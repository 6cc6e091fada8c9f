package dev.switchboard.gateway.edge;

import dev.switchboard.shared.web.LastAnswer;
import dev.switchboard.gateway.config.EdgeOptions;
import dev.switchboard.gateway.config.Route;
import dev.switchboard.shared.Ids;
import dev.switchboard.shared.auth.IdentityHeaders;
import dev.switchboard.shared.web.JsonErrors;
import dev.switchboard.shared.web.RequestScope;
import dev.switchboard.shared.web.TrustedProxies;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.CorsHandler;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The gateway's edge, in front of every route except the operations endpoints: a request id for
 * every request, security headers on every response, CORS, rate limits per client (its address, or
 * the one the trusted proxies in front name) and per API key ({@code 429} with {@code Retry-After}),
 * and the declared body size checked before any node is bothered. One per gateway process: its rate limits are shared by the instances.
 */
public final class Edge {

  /** A request id from the client is kept if it is this safe and this short; otherwise a new one is made. */
  private static final Pattern SAFE_REQUEST_ID = RequestScope.SAFE_REQUEST_ID;
  /** Clients (addresses, keys) whose buckets are kept at most; beyond, new ones pass untracked. */
  private static final int MAX_TRACKED_CLIENTS = 100_000;
  private static final long SWEEP_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final Set<String> CORS_HEADERS = Set.of("Content-Type", "Authorization", "X-Request-Id", "If-None-Match",
    "If-Modified-Since", "Range");
  private static final Set<String> CORS_EXPOSED = Set.of("X-Request-Id", "Retry-After", "ETag", "Content-Range", "Accept-Ranges",
    "WWW-Authenticate");
  private static final Set<HttpMethod> CORS_METHODS = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST, HttpMethod.PUT,
    HttpMethod.DELETE, HttpMethod.PATCH, HttpMethod.OPTIONS);

  /** Set on every answer that has not set them itself: name, value, name, value... */
  private static final CharSequence[] SECURITY_HEADERS = {
    HttpHeaders.createOptimized("X-Content-Type-Options"), HttpHeaders.createOptimized("nosniff"),
    HttpHeaders.createOptimized("X-Frame-Options"), HttpHeaders.createOptimized("DENY"),
    HttpHeaders.createOptimized("Referrer-Policy"), HttpHeaders.createOptimized("no-referrer")};

  private final EdgeOptions options;
  /** Who the client is: the TCP peer, or what the trusted proxies in front of the gateway say. */
  private final TrustedProxies clients;
  private final RateLimiter byAddress;
  private final RateLimiter byKey;
  /** SHA-256 of each known key, in hex: a presented key is hashed and looked up, never compared as text. */
  private final Set<String> keyDigests;
  private final AtomicLong lastSweep = new AtomicLong(System.nanoTime());
  private final Counter limited;
  private final Counter badKeys;

  public Edge(EdgeOptions options, TrustedProxies clients, MeterRegistry meters) {
    this.options = options;
    this.clients = clients;
    this.byAddress = options.rateLimit() > 0 ? new RateLimiter(options.rateLimit(), options.rateBurst(), MAX_TRACKED_CLIENTS) : null;
    this.byKey = options.apiKeys().isEmpty() ? null : new RateLimiter(options.apiKeyRate(), options.apiKeyRate(), MAX_TRACKED_CLIENTS);
    this.keyDigests = Set.copyOf(options.apiKeys().stream().map(Edge::digest).toList());
    this.limited = Counter.builder("switchboard.gateway.rate.limited")
      .description("Requests refused with 429 by the gateway's rate limits").register(meters);
    this.badKeys = Counter.builder("switchboard.gateway.api.key.rejected")
      .description("Requests refused with 401 for an unknown API key").register(meters);
  }

  /** Mounts the edge on {@code router}: call after the operations endpoints, before the routes. */
  public void mount(Router router) {
    if (options.corsOrigins().isEmpty()) {
      // One handler for both steps: each handler the router passes a request through costs it.
      router.route().handler(ctx -> {
        identify(ctx);
        admitThenNext(ctx);
      });
    } else {
      // CORS between them: a refused origin's 403 carries the request id, a preflight is not limited.
      router.route().handler(ctx -> {
        identify(ctx);
        ctx.next();
      });
      CorsHandler cors = CorsHandler.create()
        .allowedMethods(CORS_METHODS)
        .allowedHeaders(CORS_HEADERS)
        .allowedHeader(options.apiKeyHeader())
        .exposedHeaders(CORS_EXPOSED)
        .maxAgeSeconds((int) options.corsMaxAge().toSeconds());
      boolean any = options.corsOrigins().contains("*");
      if (any) {
        cors.addOrigin("*");
      } else {
        cors.addOrigins(options.corsOrigins()).allowCredentials(true);
      }
      router.route().handler(cors);
      router.route().handler(this::admitThenNext);
    }
    router.errorHandler(403, ctx -> JsonErrors.send(ctx.response(), 403, new JsonObject()
      .put("error", "origin not allowed").put("origin", ctx.request().getHeader(HttpHeaders.ORIGIN))
      .put("requestId", Requests.id(ctx))));
  }

  /** Gives the request its id and the response its security headers; removes identity headers a client wrote. */
  private void identify(RoutingContext ctx) {
    ctx.put(Requests.REQUEST_ID_KEY, identify(ctx.request()));
  }

  /**
   * What the router's edge does to a request before a route takes it, for a request the router does
   * not see ({@link dev.switchboard.gateway.forward.ProxyRoutes#take}): gives it its id (returned), its
   * response the security headers, and removes identity headers the client wrote.
   */
  public String identify(HttpServerRequest request) {
    // Only the gateway says who the caller is, after checking a token (TokenCheck).
    IdentityHeaders.strip(request.headers());
    // The access log's handler gave the request its id (by the same rule) when it opened its scope.
    RequestScope scope = RequestScope.current();
    String given = scope != null ? scope.id() : request.getHeader(Requests.REQUEST_ID);
    String id = scope != null ? given : given != null && SAFE_REQUEST_ID.matcher(given).matches() ? given : Ids.randomUuid().toString();
    HttpServerResponse response = request.response();
    response.putHeader(Requests.REQUEST_ID, id);
    if (options.securityHeaders()) {
      response.headersEndHandler(v -> secure(response.headers()));
    }
    return id;
  }

  /** Whether the edge is the same for every request, so that a request may pass it without the router: no CORS. */
  public boolean uniform() {
    return options.corsOrigins().isEmpty();
  }

  private static void secure(MultiMap headers) {
    for (int i = 0; i < SECURITY_HEADERS.length; i += 2) {
      if (!headers.contains(SECURITY_HEADERS[i])) {
        headers.set(SECURITY_HEADERS[i], SECURITY_HEADERS[i + 1]);
      }
    }
  }

  private void admitThenNext(RoutingContext ctx) {
    if (admit(ctx.request(), Requests.id(ctx))) {
      ctx.next();
    }
  }

  /** The rate limits: true if the request (whose id is {@code id}) may go on, otherwise it has been answered. */
  public boolean admit(HttpServerRequest request, String id) {
    long now = System.nanoTime();
    sweepNow(now);
    String key = byKey == null ? null : request.getHeader(options.apiKeyHeader());
    long wait;
    String limit;
    if (key != null) {
      String digest = digest(key);
      if (!keyDigests.contains(digest)) {
        badKeys.increment();
        JsonErrors.send(request.response(), 401, new JsonObject()
          .put("error", "unknown API key in " + options.apiKeyHeader()).put("requestId", id));
        return false;
      }
      wait = byKey.take(digest, now);
      limit = "key";
    } else if (byAddress != null) {
      wait = byAddress.take(clients.client(request), now);
      limit = "address";
    } else {
      wait = 0;
      limit = null;
    }
    if (wait > 0) {
      limited.increment();
      long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(wait + TimeUnit.SECONDS.toNanos(1) - 1));
      request.response().putHeader(HttpHeaders.RETRY_AFTER, String.valueOf(seconds));
      JsonErrors.send(request.response(), 429, new JsonObject()
        .put("error", "rate limit exceeded").put("limit", limit)
        .put("retryAfterMs", Math.max(1, TimeUnit.NANOSECONDS.toMillis(wait))).put("requestId", id));
      return false;
    }
    return true;
  }

  /** The largest body {@code route} accepts. */
  public long maxBody(Route route) {
    return route.maxBody() > 0 ? route.maxBody() : options.maxBodySize();
  }

  /**
   * Answers 413 when the request declares a body larger than {@code max}; true if it did. A body
   * without a declared length is counted as it streams instead.
   */
  public static boolean declaredTooLarge(HttpServerRequest request, String id, long max) {
    long declared = Requests.contentLength(request.headers());
    if (declared == Requests.NO_LENGTH || declared >= 0 && declared <= max) {
      return false;
    }
    // The body is not read: on HTTP/1.x the connection cannot be used for another request.
    LastAnswer.send(request, declared < 0 ? 400 : 413, new JsonObject()
      .put("error", declared < 0 ? "Content-Length is not a number" : "request body too large")
      .put("limit", max).put("requestId", id));
    return true;
  }

  private void sweepNow(long now) {
    long last = lastSweep.get();
    if (now - last > SWEEP_EVERY_NANOS && lastSweep.compareAndSet(last, now)) {
      if (byAddress != null) {
        byAddress.sweep(now);
      }
      if (byKey != null) {
        byKey.sweep(now);
      }
    }
  }

  private static String digest(String key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }
}
