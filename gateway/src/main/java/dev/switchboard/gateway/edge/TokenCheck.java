package dev.switchboard.gateway.edge;

import dev.switchboard.gateway.config.Access;
import dev.switchboard.shared.auth.Identity;
import dev.switchboard.shared.auth.IdentityHeaders;
import dev.switchboard.shared.auth.TokenRejectedException;
import dev.switchboard.shared.auth.TokenVerifier;
import dev.switchboard.shared.web.BearerTokens;
import dev.switchboard.shared.web.JsonErrors;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;

/**
 * The door's check of bearer tokens, for the routes whose {@link Access} asks for one: no token or
 * a bad one is {@code 401}, a good one without a scope the route names {@code 403}, both with
 * {@code WWW-Authenticate} and a JSON body; a good one writes the caller's subject and scopes into
 * the request's {@link IdentityHeaders} (the {@link Edge} removed any the client wrote) and lets
 * the request through. A WebSocket handshake may carry its token in the {@code access_token} query
 * parameter, since browsers cannot give a WebSocket headers.
 */
public final class TokenCheck {

  /** The check of a gateway with no route asking for a token: it has no keys, and is never asked. */
  public static final TokenCheck NONE = new TokenCheck(null);

  private final TokenVerifier verifier;

  public TokenCheck(TokenVerifier verifier) {
    this.verifier = verifier;
  }

  /**
   * Runs {@code admitted} with the caller's identity (null for an open route) once the request
   * passes {@code access}; otherwise answers it. The request is paused while a token is checked
   * (reading the keys again may take a round trip) and resumed before {@code admitted} runs.
   */
  public void admit(RoutingContext ctx, Access access, Handler<Identity> admitted) {
    admit(ctx.request(), Requests.id(ctx), access, admitted);
  }

  /** As {@link #admit(RoutingContext, Access, Handler)}, for a request with id {@code id} that no router routes. */
  public void admit(HttpServerRequest request, String id, Access access, Handler<Identity> admitted) {
    if (!access.token()) {
      admitted.handle(null);
      return;
    }
    String token;
    try {
      token = BearerTokens.of(request, isUpgrade(request));
    } catch (IllegalArgumentException e) {
      JsonErrors.send(request.response(), 400, new JsonObject().put("error", "malformed query string").put("requestId", id));
      return;
    }
    if (token == null) {
      BearerTokens.unauthorized(request.response(), null);
      return;
    }
    Future<Identity> checked = verifier.verify(token);
    if (checked.isComplete()) {
      decided(request, access, checked, admitted);
      return;
    }
    request.pause();
    checked.onComplete(done -> {
      request.resume();
      decided(request, access, checked, admitted);
    });
  }

  /** The identity {@code token} proves, for the browser bridge. */
  public Future<Identity> verify(String token) {
    return verifier.verify(token);
  }

  private static void decided(HttpServerRequest request, Access access, Future<Identity> checked, Handler<Identity> admitted) {
    if (checked.failed()) {
      BearerTokens.unauthorized(request.response(), checked.cause() instanceof TokenRejectedException rejected
        ? rejected : new TokenRejectedException("token not checked"));
      return;
    }
    Identity identity = checked.result();
    Set<String> missing = Access.missing(access.scopes(), identity.scopes());
    if (!missing.isEmpty()) {
      BearerTokens.forbidden(request.response(), missing);
      return;
    }
    IdentityHeaders.put(request.headers(), identity);
    admitted.handle(identity);
  }

  private static boolean isUpgrade(HttpServerRequest request) {
    String upgrade = request.getHeader("Upgrade");
    return upgrade != null && "websocket".equalsIgnoreCase(upgrade.trim());
  }
}
