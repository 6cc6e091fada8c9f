package dev.switchboard.files;

import dev.switchboard.shared.auth.TokenRejectedException;
import dev.switchboard.shared.auth.TokenVerifier;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Who may write (upload or delete): a request with {@code Authorization: Bearer} and the static
 * token, or with a JSON Web Token carrying the write scope (when the process has {@code auth}
 * keys). Without either configured the service is read-only. Uploads and deletes ask here, so the
 * answers (401 or 403 with {@code WWW-Authenticate}) are the same for both.
 */
final class WriteAccess {

  private static final CharSequence WWW_AUTHENTICATE = HttpHeaders.createOptimized("WWW-Authenticate");

  private final FilesOptions options;
  /** Checks JSON Web Tokens for writes; null when the process has no {@code auth} keys. */
  private final TokenVerifier tokens;

  WriteAccess(FilesOptions options, TokenVerifier tokens) {
    this.options = options;
    this.tokens = tokens;
  }

  /** Runs {@code write} when the request may write; otherwise answers why not. */
  void check(RoutingContext ctx, Runnable write) {
    if (!options.hasToken() && tokens == null) {
      Refusal.of(403, "read-only: writes are disabled (no token configured)").answer(ctx);
      return;
    }
    String authorization = ctx.request().getHeader(HttpHeaders.AUTHORIZATION);
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      ctx.response().putHeader(WWW_AUTHENTICATE, "Bearer realm=\"files\"");
      Refusal.of(401, "bearer token required").answer(ctx);
      return;
    }
    String given = authorization.substring(7).trim();
    if (options.hasToken() && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), options.token().getBytes(StandardCharsets.UTF_8))) {
      write.run();
      return;
    }
    if (tokens == null) {
      ctx.response().putHeader(WWW_AUTHENTICATE, "Bearer realm=\"files\", error=\"invalid_token\"");
      Refusal.of(403, "invalid token").answer(ctx);
      return;
    }
    // A static token never looks like a JWT (no dots); anything else is checked as one.
    tokens.verify(given).onComplete(checked -> {
      if (checked.failed()) {
        String reason = checked.cause() instanceof TokenRejectedException rejected ? rejected.getMessage() : "token not checked";
        ctx.response().putHeader(WWW_AUTHENTICATE, "Bearer realm=\"files\", error=\"invalid_token\", error_description=\"" + reason + "\"");
        new Refusal(401, new JsonObject().put("error", "invalid token").put("reason", reason)).answer(ctx);
      } else if (!checked.result().hasScope(options.writeScope())) {
        ctx.response().putHeader(WWW_AUTHENTICATE,
          "Bearer realm=\"files\", error=\"insufficient_scope\", scope=\"" + options.writeScope() + "\"");
        new Refusal(403, new JsonObject().put("error", "missing scope").put("scope", options.writeScope())).answer(ctx);
      } else {
        write.run();
      }
    });
  }
}
