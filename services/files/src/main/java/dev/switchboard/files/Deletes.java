package dev.switchboard.files;

import dev.switchboard.files.FileRoot.Stat;
import dev.switchboard.files.FileRoot.Target;
import dev.switchboard.shared.bus.Addresses;
import dev.switchboard.shared.web.JsonErrors;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * {@code DELETE}: a file or an empty directory, for a request {@link WriteAccess} lets write, with
 * {@code If-Match} honoured; {@code files.changed} is told. The root itself is never deleted, and
 * a link is deleted, never what it points to.
 */
final class Deletes {

  private final Vertx vertx;
  private final FileRoot root;
  private final WriteAccess access;
  private final Counter deletes;

  /** {@code deletes} counts the files and directories deleted. */
  Deletes(Vertx vertx, FileRoot root, WriteAccess access, Counter deletes) {
    this.vertx = vertx;
    this.root = root;
    this.access = access;
    this.deletes = deletes;
  }

  /** The handler of {@code DELETE}. */
  void delete(RoutingContext ctx) {
    RequestPath path = FileRequests.path(ctx);
    if (path != null) {
      access.check(ctx, () -> delete(ctx, path));
    }
  }

  private void delete(RoutingContext ctx, RequestPath path) {
    if (path.names().isEmpty()) {
      JsonErrors.send(ctx.response(), 400, new JsonObject().put("error", "the root cannot be deleted"));
      return;
    }
    String ifMatch = ctx.request().getHeader(HttpHeaders.IF_MATCH);
    vertx.executeBlocking(() -> {
      Target target = root.target(path, false);
      if (target == null || !Files.exists(target.file(), LinkOption.NOFOLLOW_LINKS)) {
        throw Refusal.of(404, "not found");
      }
      Path file = target.file();
      if (ifMatch != null) {
        String etag = Stat.of(file).etag();
        if (!Etags.anyMatches(ifMatch, etag, true)) {
          throw new Refusal(412, new JsonObject().put("error", "precondition failed: If-Match").put("etag", etag));
        }
      }
      try {
        Files.delete(file);
      } catch (DirectoryNotEmptyException e) {
        throw Refusal.of(409, "directory not empty");
      } catch (NoSuchFileException e) {
        throw Refusal.of(404, "not found");
      }
      return null;
    }, false)
      .onSuccess(v -> {
        vertx.eventBus().publish(Addresses.FILES_CHANGED, new JsonObject().put("action", "delete").put("path", path.relative()));
        deletes.increment();
        ctx.response().setStatusCode(204).end();
      })
      .onFailure(failure -> {
        if (failure instanceof Refusal refusal) {
          JsonErrors.send(ctx.response(), refusal.status(), refusal.body());
        } else {
          ctx.fail(failure);
        }
      });
  }
}
