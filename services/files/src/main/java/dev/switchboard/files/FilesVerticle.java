package dev.switchboard.files;

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
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The files service: a directory served over HTTP/1.1 under {@code /files/}. Downloads go from the
 * file to the socket with {@code sendFile} (zero-copy {@code sendfile(2)} on Linux), with ranges and
 * conditional requests; uploads stream into a temporary file that is renamed into place only when
 * complete and verified; directories list as JSON; the bus gets {@code files.list} and
 * {@code files.changed}. See the module README for the protocol.
 *
 * <p>The verticle only wires: it opens the {@link FileRoot}, gives each concern its part of the
 * options and its counter ({@link Downloads}, {@link Uploads}, {@link Deletes}, {@link Listings}),
 * routes {@code /files} to them, and starts the server and the {@code files.list} consumer;
 * {@link #start()} fails when any of that does.
 */
public final class FilesVerticle extends VerticleBase {

  public static final ServiceDefinition<FilesOptions> DEFINITION = new ServiceDefinition<>(FilesOptions.SCHEMA, FilesVerticle::instances);

  /** The prefix of every file route. */
  public static final String PREFIX = "/files/";
  /** Longest request line; a long path gets 414 before it is parsed. */
  public static final int MAX_REQUEST_LINE = 8192;
  /** Bytes read per step when several ranges are sent as {@code multipart/byteranges}. */
  static final int MULTIPART_CHUNK = 64 * 1024;

  private static final Logger log = LoggerFactory.getLogger(FilesVerticle.class);

  private final FilesOptions options;
  private final ServiceRuntime runtime;
  private final TrustedProxies clients;
  private final TransferSlots slots;
  private final Counter downloads;
  private final Counter uploads;
  private final Counter deletes;
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
      .compose(root -> serve(root, new WriteAccess(options, verifier.result())));
  }

  /** With the root open: each concern, the routes to it, the {@code files.list} consumer and the server. */
  private Future<?> serve(FileRoot root, WriteAccess access) {
    if (!root.raceFree()) {
      log.warn("this platform has no openat (SecureDirectoryStream): a download is checked again after its open, "
        + "but a directory on its path swapped for a link out of {} and back during the open is not seen", root.path());
    }
    Listings listings = new Listings(vertx, root, options);
    Downloads reads = new Downloads(vertx, root, listings, slots, clients, downloads);
    Uploads writes = new Uploads(vertx, root, options, access, slots, clients, uploads);
    Deletes deletions = new Deletes(vertx, root, access, deletes);

    AccessLog accessLog = AccessLog.create(runtime.ingress());
    Router router = Router.router(vertx);
    accessLog.mount(router);
    for (String path : List.of("/files", "/files/*")) {
      router.route(HttpMethod.GET, path).handler(reads::read);
      router.route(HttpMethod.HEAD, path).handler(reads::read);
      router.route(HttpMethod.PUT, path).handler(writes::write);
      router.route(HttpMethod.DELETE, path).handler(deletions::delete);
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
}
