package dev.switchboard.files;

import dev.switchboard.files.FileRoot.Stat;
import dev.switchboard.files.FileRoot.Target;
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
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
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
  private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");

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
    Future<TokenVerifier> verifier = runtime.auth().enabled() ? runtime.tokens(vertx) : Future.succeededFuture();
    return verifier.compose(v -> vertx.executeBlocking(() -> FileRoot.open(options.root())))
      .compose(opened -> serve(opened, new WriteAccess(options, verifier.result())));
  }

  /** With the root open: each concern, the routes to it, the {@code files.list} consumer and the server. */
  private Future<?> serve(FileRoot opened, WriteAccess writeAccess) {
    root = opened;
    access = writeAccess;
    if (!root.raceFree()) {
      log.warn("this platform has no openat (SecureDirectoryStream): a download is checked again after its open, "
        + "but a directory on its path swapped for a link out of {} and back during the open is not seen", root.path());
    }
    Listings listings = new Listings(vertx, root, options);
    Downloads reads = new Downloads(vertx, root, listings, slots, clients, downloads);

    AccessLog accessLog = AccessLog.create(runtime.ingress());
    Router router = Router.router(vertx);
    accessLog.mount(router);
    for (String path : List.of("/files", "/files/*")) {
      router.route(HttpMethod.GET, path).handler(reads::read);
      router.route(HttpMethod.HEAD, path).handler(reads::read);
      router.route(HttpMethod.PUT, path).handler(this::write);
      router.route(HttpMethod.DELETE, path).handler(this::delete);
      router.route(path).handler(FileRequests::methodNotAllowed);
    }
    Operations.mount(router, vertx, runtime);
    JsonErrors.install(router);

    server = StrictHttp.server(vertx, serverOptions(), runtime.ingress().headTimeout())
      .invalidRequestHandler(JsonErrors::invalidRequest)
      .requestHandler(accessLog.handler(request -> {
        // Checked before routing: the router would first decode and normalise the path.
        if (FileRequests.refusedMalformed(request)) {
          return;
        }
        router.handle(request);
      }));
    MessageConsumer<Object> lister = vertx.eventBus().consumer(Addresses.FILES_LIST, listings::onBus);
    return Future.all(lister.completion(), server.listen())
      .onSuccess(v -> {
        runtime.listening("http", "http://" + options.host() + ":" + server.actualPort());
        runtime.listening("root", root.path().toString());
      });
  }

  private HttpServerOptions serverOptions() {
    return new HttpServerOptions()
      .setHost(options.host())
      .setPort(runtime.bindPort("files", options.port()))
      .setMaxInitialLineLength(MAX_REQUEST_LINE)
      // Off: sendfile needs HTTP/1.x, and during an h2c upgrade Vert.x 5.0.8 feeds the request
      // body to HTTP/2 without flow control, so a paused upload would pile up in the heap.
      .setHttp2ClearTextEnabled(false)
      .setIdleTimeout((int) options.idleTimeout().toMillis())
      .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
  }

  /** Stops accepting; transfers in flight get the grace period to finish. */
  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.shutdown(runtime.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS);
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
}
