package dev.switchboard.shared.web;

import dev.switchboard.shared.auth.TokenRejectedException;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

import java.util.Collection;
import java.util.List;

/**
 * Bearer tokens over HTTP (RFC 6750): where a request carries one, and the answers when it carries
 * none, a bad one, or one without the scope asked for — 401 or 403 with {@code WWW-Authenticate}
 * and a JSON body.
 */
public final class BearerTokens {

  /** The query parameter a browser's WebSocket or SockJS connection carries its token in (RFC 6750, 2.3). */
  public static final String QUERY_PARAMETER = "access_token";
  public static final String REALM = "switchboard";
  private static final String SCHEME = "bearer ";
  private static final CharSequence WWW_AUTHENTICATE = HttpHeaders.createOptimized("WWW-Authenticate");

  private BearerTokens() {
  }

  /**
   * The token of {@code Authorization: Bearer}, else with {@code inQuery} the {@code access_token}
   * query parameter (browsers cannot set headers on a WebSocket); null when there is none. A
   * request with two tokens, or a second {@code Authorization} header, has none: which one counts
   * would be a guess.
   *
   * @throws IllegalArgumentException with {@code inQuery}, when the query string does not decode
   *                                  (answer 400: it is no request for a token at all)
   */
  public static String of(HttpServerRequest request, boolean inQuery) {
    List<String> headers = request.headers().getAll(HttpHeaders.AUTHORIZATION);
    List<String> query = inQuery ? request.params().getAll(QUERY_PARAMETER) : List.of();
    if (headers.size() + query.size() != 1) {
      return null;
    }
    if (!headers.isEmpty()) {
      String value = headers.get(0);
      if (value.length() <= SCHEME.length() || !value.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
        return null;
      }
      return value.substring(SCHEME.length()).trim();
    }
    return query.get(0);
  }

  /** 401: no token, or {@code rejected} (its reason goes into {@code error_description} and the body). */
  public static Future<Void> unauthorized(HttpServerResponse response, TokenRejectedException rejected) {
    String challenge = "Bearer realm=\"" + REALM + "\"";
    JsonObject body = new JsonObject().put("error", "unauthorized");
    if (rejected != null) {
      challenge += ", error=\"invalid_token\", error_description=\"" + rejected.getMessage() + "\"";
      body.put("reason", rejected.getMessage());
    } else {
      body.put("reason", "a bearer token is required");
    }
    response.putHeader(WWW_AUTHENTICATE, challenge);
    return JsonErrors.send(response, 401, body);
  }

  /** 403: the token is good but lacks one of {@code scopes}. */
  public static Future<Void> forbidden(HttpServerResponse response, Collection<String> scopes) {
    String needed = String.join(" ", scopes);
    response.putHeader(WWW_AUTHENTICATE,
      "Bearer realm=\"" + REALM + "\", error=\"insufficient_scope\", scope=\"" + needed + "\"");
    return JsonErrors.send(response, 403, new JsonObject().put("error", "forbidden").put("reason", "missing scope").put("scope", needed));
  }
}
