package dev.switchboard.files;

import dev.switchboard.files.FileRoot.Stat;
import dev.switchboard.files.FileRoot.Target;
import dev.switchboard.shared.bus.Addresses;
import dev.switchboard.shared.web.TrustedProxies;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * {@code PUT}: an upload that lands whole and verified or not at all. For a request
 * {@link WriteAccess} lets write, holding one of the client's {@link TransferSlots}, the body
 * streams with backpressure into a hidden temporary file beside the target, checked against
 * {@code maxUploadSize} as it comes and against {@code Content-Length} and a SHA-256
 * {@code Content-Digest} when it has come; {@code If-Match} and {@code If-None-Match} are checked
 * before and again just before the atomic rename over the target. Whatever fails, the temporary
 * file is deleted; {@code files.changed} hears only of a committed upload.
 */
final class Uploads {

  // The service's lines share one logger name, so a level set for the service covers them all.
  private static final Logger log = LoggerFactory.getLogger(FilesVerticle.class);
  private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");

  private final Vertx vertx;
  private final FileRoot root;
  private final FilesOptions options;
  private final WriteAccess access;
  private final TransferSlots slots;
  private final TrustedProxies clients;
  private final Counter uploads;

  /** {@code uploads} counts the uploads committed. */
  Uploads(Vertx vertx, FileRoot root, FilesOptions options, WriteAccess access, TransferSlots slots,
          TrustedProxies clients, Counter uploads) {
    this.vertx = vertx;
    this.root = root;
    this.options = options;
    this.access = access;
    this.slots = slots;
    this.clients = clients;
    this.uploads = uploads;
  }

  /** Where an upload is written, and whether it replaces a file. */
  private record Prepared(Target target, Path temp, boolean replaces) {
  }

  /** The handler of {@code PUT}. */
  void write(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    request.pause();
    RequestPath path = FileRequests.path(ctx);
    if (path != null) {
      access.check(ctx, () -> write(ctx, path));
    }
  }

  private void write(RoutingContext ctx, RequestPath path) {
    HttpServerRequest request = ctx.request();
    if (path.names().isEmpty() || path.trailingSlash()) {
      Refusal.of(400, "a PUT names a file, not a directory").answer(ctx);
      return;
    }
    long declared;
    byte[] expectedSha256;
    try {
      declared = declaredLength(request);
      expectedSha256 = ContentDigest.expectedSha256(request.getHeader("Content-Digest"), request.getHeader("Digest"));
    } catch (Refusal r) {
      r.answer(ctx);
      return;
    } catch (IllegalArgumentException e) {
      Refusal.of(400, e.getMessage()).answer(ctx);
      return;
    }
    if (slots.take(ctx) == null) {
      return;
    }
    String ifMatch = request.getHeader(HttpHeaders.IF_MATCH);
    String ifNoneMatch = request.getHeader(HttpHeaders.IF_NONE_MATCH);
    vertx.executeBlocking(() -> prepare(path, ifMatch, ifNoneMatch), false)
      .compose(prepared -> receive(ctx, prepared, declared, expectedSha256)
        .recover(failure -> discard(prepared.temp()).transform(v -> Future.failedFuture(failure))))
      .onSuccess(stat -> {
        JsonObject change = new JsonObject().put("action", "upload").put("path", path.relative())
          .put("size", stat.size()).put("etag", stat.etag());
        vertx.eventBus().publish(Addresses.FILES_CHANGED, change);
        uploads.increment();
        log.debug("PUT {} ({} bytes) from {}", path.relative(), stat.size(), clients.client(request));
        ctx.response().setStatusCode(ctx.<Boolean>get("replaces") ? 200 : 201)
          .putHeader(HttpHeaders.ETAG, stat.etag())
          .putHeader(HttpHeaders.LOCATION, FilesVerticle.PREFIX + encode(path))
          .putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON)
          .end(change.encode());
      })
      .onFailure(failure -> writeFailed(ctx, failure));
  }

  /** Blocking: checks preconditions and creates the temporary file beside the target. */
  private Prepared prepare(RequestPath path, String ifMatch, String ifNoneMatch) throws IOException {
    Target target = root.target(path, true);
    if (target == null) {
      throw Refusal.of(404, "not found");
    }
    boolean exists = checkPreconditions(target.file(), ifMatch, ifNoneMatch);
    Path temp = target.dir().resolve(FileRoot.TEMP_PREFIX + UUID.randomUUID() + FileRoot.TEMP_SUFFIX);
    Files.createFile(temp);
    return new Prepared(target, temp, exists);
  }

  /** Whether the file exists; throws 409 for a directory, 412 when If-Match / If-None-Match fail. */
  private static boolean checkPreconditions(Path file, String ifMatch, String ifNoneMatch) throws IOException {
    boolean exists = Files.exists(file, LinkOption.NOFOLLOW_LINKS);
    if (exists && Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
      throw Refusal.of(409, "is a directory");
    }
    String etag = null;
    if (exists && (ifMatch != null || ifNoneMatch != null)) {
      try {
        etag = Stat.of(file).etag();
      } catch (NoSuchFileException e) {
        exists = false;
      }
    }
    if (ifMatch != null && (!exists || !Etags.anyMatches(ifMatch, etag, true))) {
      throw new Refusal(412, new JsonObject().put("error", "precondition failed: If-Match").put("etag", etag));
    }
    if (ifNoneMatch != null && exists && Etags.anyMatches(ifNoneMatch, etag, false)) {
      throw new Refusal(412, new JsonObject().put("error", "precondition failed: If-None-Match").put("etag", etag));
    }
    return exists;
  }

  /**
   * Streams the body into the temporary file with backpressure, then syncs it, checks its length
   * and digest, and renames it over the target: readers see the old file or the new one, whole.
   */
  private Future<Stat> receive(RoutingContext ctx, Prepared prepared, long declared, byte[] expectedSha256) {
    ctx.put("replaces", prepared.replaces());
    HttpServerRequest request = ctx.request();
    MessageDigest sha256 = sha256();
    long[] received = {0};
    return vertx.fileSystem().open(prepared.temp().toString(), new OpenOptions().setWrite(true).setCreate(false))
      .compose(file -> {
        Promise<Void> body = Promise.promise();
        file.exceptionHandler(body::tryFail);
        request.exceptionHandler(body::tryFail);
        // Through the routing context, which keeps the response's own close handler for the transfer slot.
        ctx.addEndHandler(done -> body.tryFail(new IOException("connection closed during upload")));
        request.handler(chunk -> {
          if (body.future().isComplete()) {
            return;
          }
          received[0] += chunk.length();
          if (received[0] > options.maxUploadSize()) {
            request.pause();
            body.tryFail(tooLarge());
            return;
          }
          sha256.update(chunk.getBytes());
          file.write(chunk).onFailure(body::tryFail);
          if (file.writeQueueFull()) {
            request.pause();
            file.drainHandler(v -> request.resume());
          }
        });
        request.endHandler(v -> body.tryComplete());
        if (ctx.response().closed()) {
          // The connection went while the temporary file was being made (off the event loop):
          // its close was before any of the handlers above, and would never be heard.
          body.tryFail(new IOException("connection closed during upload"));
        }
        if (request.version() != HttpVersion.HTTP_1_0 && "100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
          ctx.response().writeContinue();
        }
        request.resume();
        return body.future()
          .compose(v -> file.flush())
          .eventually(file::close)
          .compose(v -> verify(declared, received[0], expectedSha256, sha256.digest()))
          .compose(v -> vertx.executeBlocking(() -> commit(prepared, ctx.request()), false));
      });
  }

  private static Future<Void> verify(long declared, long received, byte[] expected, byte[] actual) {
    if (declared >= 0 && declared != received) {
      return Future.failedFuture(new Refusal(400, new JsonObject().put("error", "body shorter than Content-Length")
        .put("declared", declared).put("received", received)));
    }
    if (expected != null && !MessageDigest.isEqual(expected, actual)) {
      return Future.failedFuture(new Refusal(400, new JsonObject().put("error", "sha-256 digest mismatch")
        .put("expected", Base64.getEncoder().encodeToString(expected))
        .put("actual", Base64.getEncoder().encodeToString(actual))));
    }
    return Future.succeededFuture();
  }

  /** Blocking: the preconditions once more, then the atomic rename. */
  private static Stat commit(Prepared prepared, HttpServerRequest request) throws IOException {
    Path file = prepared.target().file();
    checkPreconditions(file, request.getHeader(HttpHeaders.IF_MATCH), request.getHeader(HttpHeaders.IF_NONE_MATCH));
    Files.move(prepared.temp(), file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return Stat.of(file);
  }

  private Future<Void> discard(Path temp) {
    return vertx.executeBlocking(() -> Files.deleteIfExists(temp), false)
      .<Void>mapEmpty()
      .recover(e -> {
        log.warn("could not delete the temporary file {}", temp, e);
        return Future.succeededFuture();
      });
  }

  private void writeFailed(RoutingContext ctx, Throwable failure) {
    if (failure instanceof Refusal refusal) {
      refusal.answer(ctx);
    } else if (ctx.response().closed() || failure instanceof IOException) {
      log.debug("PUT {} from {} aborted: {}", ctx.request().path(), clients.client(ctx.request()), failure.getMessage());
      ctx.request().connection().close();
    } else {
      ctx.fail(failure);
    }
  }

  /** The declared length: -1 when none; 400 when malformed, 413 over {@code maxUploadSize}. */
  private long declaredLength(HttpServerRequest request) {
    String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared == null) {
      return -1;
    }
    long length;
    try {
      length = Long.parseLong(declared.trim());
    } catch (NumberFormatException e) {
      length = -1;
    }
    if (length < 0) {
      throw new Refusal(400, new JsonObject().put("error", "invalid content-length").put("contentLength", declared));
    }
    if (length > options.maxUploadSize()) {
      throw tooLarge();
    }
    return length;
  }

  private Refusal tooLarge() {
    return new Refusal(413, new JsonObject().put("error", "upload too large").put("limit", options.maxUploadSize()));
  }

  /** The path as a {@code Location}: each name percent-encoded. */
  private static String encode(RequestPath path) {
    List<String> parts = new ArrayList<>();
    for (String name : path.names()) {
      parts.add(URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20"));
    }
    return String.join("/", parts);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
