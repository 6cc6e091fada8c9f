package dev.switchboard.files;

import dev.switchboard.files.RequestPath.BadPathException;
import dev.switchboard.shared.web.JsonErrors;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Directory listings, one page of at most {@code pageSize} entries at a time ({@code after} the
 * last name of the page before): over HTTP, for a {@code GET} of a directory, and on the bus at
 * {@code files.list}. Both answer the same page from {@link FileRoot#list}; they differ only in
 * how a bad request or a missing directory is refused (an HTTP status, {@code message.fail}).
 */
final class Listings {

  // The service's lines share one logger name, so a level set for the service covers them all.
  private static final Logger log = LoggerFactory.getLogger(FilesVerticle.class);
  private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
  private static final CharSequence NO_CACHE = HttpHeaders.createOptimized("no-cache");

  private final Vertx vertx;
  private final FileRoot root;
  private final FilesOptions options;

  Listings(Vertx vertx, FileRoot root, FilesOptions options) {
    this.vertx = vertx;
    this.root = root;
    this.options = options;
  }

  /** Answers a {@code GET} of a directory: {@code path} as requested, {@code dir} its real path. */
  void page(RoutingContext ctx, RequestPath path, Path dir) {
    String after = ctx.request().getParam("after");
    String limitParam = ctx.request().getParam("limit");
    int limit = options.pageSize();
    if (limitParam != null) {
      try {
        limit = Integer.parseInt(limitParam.trim());
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > options.pageSize()) {
        JsonErrors.send(ctx.response(), 400, new JsonObject().put("error", "limit must be from 1 to " + options.pageSize())
          .put("limit", limitParam));
        return;
      }
    }
    int pageLimit = limit;
    vertx.executeBlocking(() -> root.list(dir, after, pageLimit), false)
      .onSuccess(page -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON)
        .putHeader(HttpHeaders.CACHE_CONTROL, NO_CACHE)
        .end(page.put("path", directoryName(path)).encode()))
      .onFailure(ctx::fail);
  }

  /** The consumer of {@code files.list}: {@code {"path", "after", "limit"}}, all optional. */
  void onBus(Message<Object> message) {
    JsonObject body = message.body() instanceof JsonObject json ? json : new JsonObject();
    RequestPath path;
    int limit;
    try {
      path = RequestPath.parseDecoded(body.getString("path", ""));
      limit = body.getInteger("limit", options.pageSize());
    } catch (BadPathException | ClassCastException e) {
      message.fail(400, "invalid request: " + e.getMessage());
      return;
    }
    if (limit < 1 || limit > options.pageSize()) {
      message.fail(400, "limit must be from 1 to " + options.pageSize());
      return;
    }
    String after = body.getValue("after") instanceof String s ? s : null;
    vertx.executeBlocking(() -> {
      Path dir = root.resolve(path);
      if (dir == null || !Files.isDirectory(dir)) {
        return null;
      }
      return root.list(dir, after, limit);
    }, false)
      .onSuccess(page -> {
        if (page == null) {
          message.fail(404, "no such directory: " + path.relative());
        } else {
          message.reply(page.put("path", directoryName(path)));
        }
      })
      .onFailure(e -> {
        log.warn("files.list {} failed", path.relative(), e);
        message.fail(500, "listing failed");
      });
  }

  private static String directoryName(RequestPath path) {
    return path.names().isEmpty() ? "" : String.join("/", path.names()) + "/";
  }
}
