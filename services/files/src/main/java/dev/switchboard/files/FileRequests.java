package dev.switchboard.files;

import dev.switchboard.files.RequestPath.BadPathException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * What every {@code /files} route does first: take the request's path raw, before the router
 * decodes and normalises it, and check it as a {@link RequestPath}. A malformed path is refused
 * before routing (so that no normalised form of it is ever matched), a hidden one is "not found",
 * and a method the routes do not serve is 405.
 */
final class FileRequests {

  private static final String ALLOWED_METHODS = "GET, HEAD, PUT, DELETE";

  private FileRequests() {
  }

  /** The checked path of a request, or {@code null} after answering 400 (malformed) or 404 (hidden). */
  static RequestPath path(RoutingContext ctx) {
    String raw = ctx.request().path();
    if (raw == null || !(raw.equals("/files") || raw.startsWith(FilesVerticle.PREFIX))) {
      Refusal.notFound(ctx); // the router matched a normalised path that the raw one does not start with
      return null;
    }
    RequestPath path;
    try {
      path = parse(raw);
    } catch (BadPathException e) {
      invalidPath(e).answer(ctx);
      return null;
    }
    if (path.hidden()) {
      Refusal.notFound(ctx);
      return null;
    }
    return path;
  }

  /**
   * For the server's request handler, before routing: answers 400 and returns true when the
   * request is for {@code /files} or below and its raw path is malformed.
   */
  static boolean refusedMalformed(HttpServerRequest request) {
    String raw = request.path();
    if (raw == null || !raw.startsWith("/files") || !(raw.length() == 6 || raw.charAt(6) == '/')) {
      return false;
    }
    try {
      parse(raw);
      return false;
    } catch (BadPathException e) {
      invalidPath(e).answer(request);
      return true;
    }
  }

  /** For the routes' last handler: any method but {@value #ALLOWED_METHODS}. */
  static void methodNotAllowed(RoutingContext ctx) {
    ctx.response().putHeader(HttpHeaders.ALLOW, ALLOWED_METHODS);
    new Refusal(405, new JsonObject().put("error", "method not allowed")
      .put("method", ctx.request().method().name()).put("allow", ALLOWED_METHODS)).answer(ctx);
  }

  private static RequestPath parse(String raw) {
    String prefix = FilesVerticle.PREFIX;
    return RequestPath.parseEncoded(raw.length() <= prefix.length() ? "" : raw.substring(prefix.length()));
  }

  private static Refusal invalidPath(BadPathException e) {
    return new Refusal(400, new JsonObject().put("error", "invalid path").put("reason", e.getMessage()));
  }
}
