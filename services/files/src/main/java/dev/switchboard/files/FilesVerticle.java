package dev.switchboard.files;

import dev.switchboard.files.ByteRanges.Range;
import dev.switchboard.files.FileRoot.Found;
import dev.switchboard.files.FileRoot.Stat;
import dev.switchboard.files.FileRoot.Target;
import dev.switchboard.files.RequestPath.BadPathException;
import dev.switchboard.shared.Ids;
import dev.switchboard.shared.Launcher;
import dev.switchboard.shared.ServiceDefinition;
import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.auth.TokenVerifier;
import dev.switchboard.shared.bus.Addresses;
import dev.switchboard.shared.ops.Operations;
import dev.switchboard.shared.web.JsonErrors;
import dev.switchboard.shared.web.AccessLog;
import dev.switchboard.shared.web.StrictHttp;
import dev.switchboard.shared.web.TrustedProxies;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.MimeMapping;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
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
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The files service: a directory served over HTTP/1.1 under {@code /files/}. Downloads go from the
 * file to the socket with {@code sendFile} (zero-copy {@code sendfile(2)} on Linux), with ranges and
 * conditional requests; uploads stream into a temporary file that is renamed into place only when
 * complete and verified; directories list as JSON; the bus gets {@code files.list} and
 * {@code files.changed}. See the module README for the protocol.
 */
public final class FilesVerticle extends VerticleBase {

  public static final ServiceDefinition<FilesOptions> DEFINITION = new ServiceDefinition<>(
    "files", new FilesOptions(), FilesOptions::fromJson, FilesOptions.DESCRIPTIONS, FilesVerticle::instances);

  /** The prefix of every file route. */
  public static final String PREFIX = "/files/";
  /** Longest request line; a long path gets 414 before it is parsed. */
  public static final int MAX_REQUEST_LINE = 8192;
  /** Bytes read per step when several ranges are sent as {@code multipart/byteranges}. */
  static final int MULTIPART_CHUNK = 64 * 1024;

  private static final Logger log = LoggerFactory.getLogger(FilesVerticle.class);
  private static final CharSequence BYTES = HttpHeaders.createOptimized("bytes");
  private static final CharSequence OCTET_STREAM = HttpHeaders.createOptimized("application/octet-stream");
  private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
  private static final CharSequence RANGE = HttpHeaders.createOptimized("Range");
  private static final CharSequence IF_RANGE = HttpHeaders.createOptimized("If-Range");
  private static final CharSequence NO_CACHE = HttpHeaders.createOptimized("no-cache");

  private final FilesOptions options;
  private final ServiceRuntime runtime;
  private final TrustedProxies clients;
  private final TransferSlots slots;
  private final Counter downloads;
  private final Counter uploads;
  private final Counter deletes;
  private FileRoot root;
  private WriteAccess access;
  private HttpServer server;

  FilesVerticle(FilesOptions options, ServiceRuntime runtime, TransferLimiter limiter) {
    this.options = options;
    this.runtime = runtime;
    this.clients = new TrustedProxies(runtime.ingress().proxies());
    this.downloads = counter(runtime, "switchboard.files.downloads", "File bodies sent whole (200, 206)");
    this.uploads = counter(runtime, "switchboard.files.uploads", "Uploads committed");
    this.deletes = counter(runtime, "switchboard.files.deletes", "Files and directories deleted");
    this.slots = new TransferSlots(limiter, clients,
      counter(runtime, "switchboard.files.refused.transfers", "Transfers refused with 429"));
  }

  private static Counter counter(ServiceRuntime runtime, String name, String description) {
    return Counter.builder(name).description(description).register(runtime.meters());
  }

  public static void main(String[] args) {
    Launcher.launch(args, DEFINITION);
  }

  /** The instances of one process; they share one transfer limit per client. */
  public static Supplier<FilesVerticle> instances(FilesOptions options, ServiceRuntime runtime) {
    TransferLimiter limiter = new TransferLimiter(options.maxTransfersPerClient());
    return () -> new FilesVerticle(options, runtime, limiter);
  }

  @Override
  public Future<?> start() {
    AccessLog accessLog = AccessLog.create(runtime.ingress());
    Router router = Router.router(vertx);
    accessLog.mount(router);
    for (String path : List.of("/files", "/files/*")) {
      router.route(HttpMethod.GET, path).handler(this::read);
      router.route(HttpMethod.HEAD, path).handler(this::read);
      router.route(HttpMethod.PUT, path).handler(this::write);
      router.route(HttpMethod.DELETE, path).handler(this::delete);
      router.route(path).handler(FileRequests::methodNotAllowed);
    }
    Operations.mount(router, vertx, runtime);
    JsonErrors.install(router);

    HttpServerOptions serverOptions = new HttpServerOptions()
      .setHost(options.host())
      .setPort(runtime.bindPort("files", options.port()))
      .setMaxInitialLineLength(MAX_REQUEST_LINE)
      // Off: sendfile needs HTTP/1.x, and during an h2c upgrade Vert.x 5.0.8 feeds the request
      // body to HTTP/2 without flow control, so a paused upload would pile up in the heap.
      .setHttp2ClearTextEnabled(false)
      .setIdleTimeout((int) options.idleTimeout().toMillis())
      .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    MessageConsumer<Object> lister = vertx.eventBus().consumer(Addresses.FILES_LIST, this::busList);
    Future<TokenVerifier> verifier = runtime.auth().enabled() ? runtime.tokens(vertx) : Future.succeededFuture();
    return verifier.compose(v -> vertx.executeBlocking(() -> FileRoot.open(options.root())))
      .compose(opened -> {
        access = new WriteAccess(options, verifier.result());
        root = opened;
        if (!root.raceFree()) {
          log.warn("this platform has no openat (SecureDirectoryStream): a download is checked again after its open, "
            + "but a directory on its path swapped for a link out of {} and back during the open is not seen", root.path());
        }
        server = StrictHttp.server(vertx, serverOptions, runtime.ingress().headTimeout())
          .invalidRequestHandler(JsonErrors::invalidRequest)
          .requestHandler(accessLog.handler(request -> {
            // Checked before routing: the router would first decode and normalise the path.
            if (FileRequests.refusedMalformed(request)) {
              return;
            }
            router.handle(request);
          }));
        return Future.all(lister.completion(), server.listen());
      })
      .onSuccess(v -> {
        runtime.listening("http", "http://" + options.host() + ":" + server.actualPort());
        runtime.listening("root", root.path().toString());
      });
  }

  /** Stops accepting; transfers in flight get the grace period to finish. */
  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.shutdown(runtime.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS);
  }

  // ---- reads ------------------------------------------------------------------------------------

  private void read(RoutingContext ctx) {
    RequestPath path = FileRequests.path(ctx);
    if (path == null) {
      return;
    }
    boolean body = ctx.request().method() == HttpMethod.GET;
    vertx.executeBlocking(() -> root.find(path, body), false)
      .onSuccess(found -> {
        if (found != null && found.channel() != null) {
          ctx.addEndHandler(done -> closeQuietly(found.channel()));
        }
        if (found == null || (path.trailingSlash() && !found.stat().directory())) {
          Refusal.notFound(ctx);
        } else if (found.stat().directory()) {
          listing(ctx, path, found.stat().path());
        } else {
          download(ctx, found);
        }
      })
      .onFailure(failure -> {
        if (failure instanceof AccessDeniedException) {
          // The service's own user may not read it: the file exists, but is not served.
          JsonErrors.send(ctx.response(), 403, new JsonObject().put("error", "forbidden").put("reason", "not readable by the service"));
        } else {
          ctx.fail(failure);
        }
      });
  }

  private void download(RoutingContext ctx, Found found) {
    HttpServerRequest request = ctx.request();
    HttpServerResponse response = ctx.response();
    Stat stat = found.stat();
    long size = stat.size();
    String lastModified = HttpDates.format(stat.modifiedMillis());
    response.putHeader(HttpHeaders.ETAG, stat.etag())
      .putHeader(HttpHeaders.LAST_MODIFIED, lastModified)
      .putHeader(HttpHeaders.ACCEPT_RANGES, BYTES);
    if (notModified(request, stat)) {
      response.setStatusCode(304).end();
      return;
    }
    String type = contentType(stat.path());
    List<Range> ranges = request.method() == HttpMethod.GET && rangeApplies(request, stat)
      ? ByteRanges.parse(request.getHeader(RANGE), size)
      : null;
    if (ranges != null && ranges.isEmpty()) {
      response.putHeader(HttpHeaders.CONTENT_RANGE, "bytes */" + size);
      JsonErrors.send(response, 416, new JsonObject().put("error", "range not satisfiable")
        .put("range", request.getHeader(RANGE)).put("size", size));
      return;
    }
    response.putHeader(HttpHeaders.CONTENT_TYPE, type);
    if (request.method() == HttpMethod.HEAD) {
      response.putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(size)).end();
      return;
    }
    Runnable release = slots.take(ctx);
    if (release == null) {
      return;
    }
    FileChannel channel = found.channel();
    Future<Void> sent;
    if (ranges == null) {
      sent = size == 0 ? response.putHeader(HttpHeaders.CONTENT_LENGTH, "0").end() : response.sendFile(channel, 0, size);
    } else if (ranges.size() == 1) {
      Range range = ranges.get(0);
      response.setStatusCode(206).putHeader(HttpHeaders.CONTENT_RANGE, range.contentRange(size));
      sent = response.sendFile(channel, range.first(), range.length());
    } else {
      sent = multipart(response, channel, type, ranges, size);
    }
    // Once sendFile has started, a closed connection fails only this future (the response's end
    // and close handlers stay silent in Vert.x 5.0.8), so the slot and the file are freed here too.
    sent.onComplete(done -> {
      release.run();
      closeQuietly(channel);
      if (done.succeeded()) {
        downloads.increment();
      } else {
        log.debug("GET {} to {} ended early: {}", request.path(), clients.client(request), done.cause().getMessage());
      }
    });
  }

  /**
   * Several ranges as {@code multipart/byteranges}: the parts are read from the open file one chunk
   * at a time, each written after the previous one left, so memory is one chunk per response.
   */
  private Future<Void> multipart(HttpServerResponse response, FileChannel channel, String type, List<Range> ranges, long size) {
    String boundary = Ids.randomUuid().toString().replace("-", "");
    List<Buffer> heads = new ArrayList<>(ranges.size());
    long length = 0;
    for (int i = 0; i < ranges.size(); i++) {
      Range range = ranges.get(i);
      Buffer head = Buffer.buffer((i == 0 ? "" : "\r\n") + "--" + boundary + "\r\n"
        + "Content-Type: " + type + "\r\n"
        + "Content-Range: " + range.contentRange(size) + "\r\n\r\n");
      heads.add(head);
      length += head.length() + range.length();
    }
    Buffer tail = Buffer.buffer("\r\n--" + boundary + "--\r\n");
    length += tail.length();
    response.setStatusCode(206)
      .putHeader(HttpHeaders.CONTENT_TYPE, "multipart/byteranges; boundary=" + boundary)
      .putHeader(HttpHeaders.CONTENT_LENGTH, Long.toString(length));
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < ranges.size(); i++) {
      Buffer head = heads.get(i);
      Range range = ranges.get(i);
      chain = chain.compose(v -> response.write(head))
        .compose(v -> copy(channel, range.first(), range.length(), response));
    }
    return chain.compose(v -> response.end(tail));
  }

  private Future<Void> copy(FileChannel channel, long position, long remaining, HttpServerResponse response) {
    if (remaining == 0) {
      return Future.succeededFuture();
    }
    int n = (int) Math.min(MULTIPART_CHUNK, remaining);
    return vertx.executeBlocking(() -> {
      ByteBuffer chunk = ByteBuffer.allocate(n);
      while (chunk.hasRemaining()) {
        if (channel.read(chunk, position + chunk.position()) < 0) {
          throw new EOFException("file shrank while being sent");
        }
      }
      return Buffer.buffer(chunk.array());
    }, false)
      .compose(response::write)
      .compose(v -> copy(channel, position + n, remaining - n, response));
  }

  /** If-None-Match (weak comparison, {@code *} for any), else If-Modified-Since at one-second precision. */
  private static boolean notModified(HttpServerRequest request, Stat stat) {
    String noneMatch = request.getHeader(HttpHeaders.IF_NONE_MATCH);
    if (noneMatch != null) {
      return Etags.anyMatches(noneMatch, stat.etag(), false);
    }
    long since = HttpDates.parseSeconds(request.getHeader(HttpHeaders.IF_MODIFIED_SINCE));
    return since >= 0 && stat.modifiedMillis() / 1000 <= since;
  }

  /** Without If-Range the Range applies; with it only while the file is the one the client names. */
  private static boolean rangeApplies(HttpServerRequest request, Stat stat) {
    String ifRange = request.getHeader(IF_RANGE);
    if (ifRange == null) {
      return true;
    }
    String value = ifRange.trim();
    if (value.startsWith("\"")) {
      return value.equals(stat.etag());
    }
    if (value.startsWith("W/")) {
      return false;
    }
    long date = HttpDates.parseSeconds(value);
    return date >= 0 && date == stat.modifiedMillis() / 1000;
  }

  private static String contentType(Path file) {
    String type = MimeMapping.mimeTypeForFilename(file.getFileName().toString());
    if (type == null) {
      return OCTET_STREAM.toString();
    }
    return type.startsWith("text/") ? type + "; charset=utf-8" : type;
  }

  // ---- listings ---------------------------------------------------------------------------------

  private void listing(RoutingContext ctx, RequestPath path, Path dir) {
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

  private void busList(Message<Object> message) {
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

  // ---- writes -----------------------------------------------------------------------------------

  /** Where an upload is written, and whether it replaces a file. */
  private record Prepared(Target target, Path temp, boolean replaces) {
  }

  private void write(RoutingContext ctx) {
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
          .putHeader(HttpHeaders.LOCATION, PREFIX + encode(path))
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

  private void delete(RoutingContext ctx) {
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

  // ---- shared -----------------------------------------------------------------------------------

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

  private static void closeQuietly(FileChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      log.debug("closing a served file failed: {}", e.getMessage());
    }
  }
}
