package dev.switchboard.http;

import dev.switchboard.shared.Launcher;
import dev.switchboard.shared.ServiceDefinition;
import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.bus.Addresses;
import dev.switchboard.shared.ops.Operations;
import dev.switchboard.shared.web.JsonErrors;
import dev.switchboard.shared.web.LastAnswer;
import dev.switchboard.shared.web.AccessLog;
import dev.switchboard.shared.web.StrictHttp;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The http service. One instance per event loop shares the port, as Node's cluster workers do.
 * <ul>
 *   <li>{@code GET /}: {@code Hello World}, as Node's {@code http.createServer} example;</li>
 *   <li>{@code POST /echo}: the request body streamed back as it arrives, with backpressure;</li>
 *   <li>{@code GET /api/echo?msg=}: the {@code echo} service's answer, over the event bus;</li>
 *   <li>{@code GET /api/greet?name=}: the greeting of the Node.js greeter, which serves the bus
 *   through the TCP bridge;</li>
 *   <li>{@code /health}, {@code /ready}, {@code /metrics}.</li>
 * </ul>
 */
public final class HttpVerticle extends VerticleBase {

  public static final ServiceDefinition<HttpOptions> DEFINITION = new ServiceDefinition<>(HttpOptions.SCHEMA, HttpVerticle::instances);

  /** Longest request line (method, target, version); longer gets 414. Vert.x's default, named here. */
  public static final int MAX_REQUEST_LINE = 4096;

  private static final Logger log = LoggerFactory.getLogger(HttpVerticle.class);
  private static final Buffer HELLO = Buffer.buffer("Hello World");
  private static final CharSequence TEXT_PLAIN = HttpHeaders.createOptimized("text/plain");
  /** Set explicitly so that {@code HEAD /} declares the length of the body {@code GET /} gets. */
  private static final CharSequence HELLO_LENGTH = HttpHeaders.createOptimized(String.valueOf(HELLO.length()));
  private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");
  private static final CharSequence IDENTITY = HttpHeaders.createOptimized("identity");
  private static final CharSequence OCTET_STREAM = HttpHeaders.createOptimized("application/octet-stream");
  /** HTTP/2 {@code CANCEL}: the stream of a body that passed the limit mid-stream is reset with it. */
  private static final long RESET_CANCEL = 0x8;

  private final HttpOptions options;
  private final ServiceRuntime runtime;
  private final Counter requests;
  private final DeliveryOptions busDelivery;
  private HttpServer server;

  HttpVerticle(HttpOptions options, ServiceRuntime runtime, int instance) {
    this.options = options;
    this.runtime = runtime;
    this.requests = Counter.builder("switchboard.http.requests")
      .description("Requests received, per verticle instance")
      .tag("instance", String.valueOf(instance))
      .register(runtime.meters());
    this.busDelivery = new DeliveryOptions().setSendTimeout(options.busTimeout().toMillis());
  }

  public static void main(String[] args) {
    Launcher.launch(args, DEFINITION);
  }

  /** The instances of one process. */
  public static Supplier<HttpVerticle> instances(HttpOptions options, ServiceRuntime runtime) {
    return () -> new HttpVerticle(options, runtime, runtime.nextInstance());
  }

  @Override
  public Future<?> start() {
    AccessLog accessLog = AccessLog.create(runtime.ingress());
    Router router = Router.router(vertx);
    accessLog.mount(router);
    router.route(HttpMethod.GET, "/").handler(ctx -> hello(ctx.request()));
    router.route(HttpMethod.HEAD, "/").handler(ctx -> hello(ctx.request()));
    router.route(HttpMethod.POST, "/echo").handler(this::echo);
    router.route(HttpMethod.GET, "/api/echo").handler(this::busEcho);
    router.route(HttpMethod.GET, "/api/greet").handler(this::greet);
    Operations.mount(router, vertx, runtime);
    JsonErrors.install(router);

    HttpServerOptions serverOptions = new HttpServerOptions()
      .setHost(options.host())
      .setPort(runtime.bindPort("http", options.port()))
      .setTcpNoDelay(true)
      .setHttp2ClearTextEnabled(options.h2c())
      .setCompressionSupported(true)
      .setCompressionLevel(options.compressionLevel())
      .setMaxInitialLineLength(MAX_REQUEST_LINE)
      .setMaxHeaderSize(options.maxHeaderSize())
      .setIdleTimeout((int) options.idleTimeout().toMillis())
      .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    // The same head limit for HTTP/2, whose default (8 KiB) would otherwise ignore the option.
    serverOptions.getInitialSettings().setMaxHeaderListSize(options.maxHeaderSize());
    server = StrictHttp.server(vertx, serverOptions, runtime.ingress().headTimeout())
      .invalidRequestHandler(JsonErrors::invalidRequest)
      .requestHandler(accessLog.handler(request -> {
        requests.increment();
        if (isHello(request)) {
          hello(request); // the hot path: no routing context to build for a route that needs none
        } else {
          router.handle(request);
        }
      }));
    return server.listen()
      .onSuccess(s -> runtime.listening("http", "http://" + options.host() + ":" + s.actualPort()));
  }

  /** Stops accepting; requests in flight finish within the grace period (HTTP/2 gets GOAWAY). */
  @Override
  public Future<?> stop() {
    return server.shutdown(runtime.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * {@code GET /} or {@code HEAD /}, as the router would route it to {@link #hello}: a path the
   * router would normalize first ({@code //}, {@code /./}, {@code /%2E/}) is not "/" here and goes
   * through the router.
   */
  private static boolean isHello(HttpServerRequest request) {
    HttpMethod method = request.method();
    return (method == HttpMethod.GET || method == HttpMethod.HEAD) && "/".equals(request.path());
  }

  private static void hello(HttpServerRequest request) {
    request.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, TEXT_PLAIN)
      .putHeader(HttpHeaders.CONTENT_LENGTH, HELLO_LENGTH)
      .end(HELLO);
  }

  /**
   * Streams the body back: each chunk is written as it arrives and reading pauses while the
   * response's write queue is full, so memory stays flat whatever the body's size. The declared
   * length is checked before reading; without one, the limit is enforced while streaming.
   */
  private void echo(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    HttpServerResponse response = ctx.response();
    String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared != null) {
      long length;
      try {
        length = Long.parseLong(declared.trim());
      } catch (NumberFormatException e) {
        length = -1;
      }
      if (length < 0) {
        refuse(request, 400, new JsonObject().put("error", "invalid content-length").put("contentLength", declared));
        return;
      }
      if (length > options.maxBodySize()) {
        refuse(request, 413, tooLarge());
        return;
      }
      response.putHeader(HttpHeaders.CONTENT_LENGTH, declared.trim());
    } else {
      response.setChunked(true);
    }
    String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
    response.putHeader(HttpHeaders.CONTENT_TYPE, type != null ? type : OCTET_STREAM);
    // "identity" keeps the compressor away: compressing would change the declared length.
    response.putHeader(HttpHeaders.CONTENT_ENCODING, IDENTITY);
    if (request.version() != HttpVersion.HTTP_1_0 && "100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
      response.writeContinue();
    }

    request.exceptionHandler(e -> log.debug("POST /echo from {} failed: {}", request.remoteAddress(), e.getMessage()));
    response.exceptionHandler(e -> log.debug("POST /echo to {} failed: {}", request.remoteAddress(), e.getMessage()));
    long[] received = {0};
    request.handler(chunk -> {
      received[0] += chunk.length();
      if (received[0] > options.maxBodySize()) {
        request.handler(null);
        if (!response.headWritten()) {
          refuse(request, 413, tooLarge());
        } else {
          // Part of the body is already echoed, so the status cannot change any more: cut the
          // stream (HTTP/2: reset this stream only; HTTP/1.1: close the connection).
          log.debug("POST /echo from {} passed {} bytes mid-stream", request.remoteAddress(), options.maxBodySize());
          response.reset(RESET_CANCEL);
        }
        return;
      }
      response.write(chunk);
      if (response.writeQueueFull()) {
        request.pause();
        response.drainHandler(v -> request.resume());
      }
    });
    request.endHandler(v -> response.end());
    request.resume();
  }

  private JsonObject tooLarge() {
    return new JsonObject().put("error", "request body too large").put("limit", options.maxBodySize());
  }

  /** Answers an error before the body is read; the unread body makes the connection unusable, so it closes. */
  private static void refuse(HttpServerRequest request, int status, JsonObject body) {
    HttpServerResponse response = request.response();
    response.headers().remove(HttpHeaders.CONTENT_LENGTH).remove(HttpHeaders.CONTENT_ENCODING);
    response.setChunked(false);
    LastAnswer.send(request, status, body).onSuccess(last -> {
      if (!last) {
        response.reset(); // HTTP/2: this stream alone
      }
    });
  }

  private void busEcho(RoutingContext ctx) {
    String msg = ctx.request().getParam("msg");
    if (msg == null) {
      JsonErrors.send(ctx.response(), 400, new JsonObject().put("error", "missing query parameter msg"));
      return;
    }
    vertx.eventBus().<Object>request(Addresses.ECHO, msg, busDelivery)
      .onSuccess(reply -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON)
        .end(new JsonObject().put("msg", msg).put("echo", reply.body()).encode()))
      .onFailure(failure -> busFailure(ctx, failure, "echo", Addresses.ECHO));
  }

  /** The greeter answers {@code {"name"}} with {@code {"greeting", ...}}, or fails 400 for a bad name. */
  private void greet(RoutingContext ctx) {
    String name = ctx.request().getParam("name");
    if (name == null) {
      JsonErrors.send(ctx.response(), 400, new JsonObject().put("error", "missing query parameter name"));
      return;
    }
    vertx.eventBus().<Object>request(Addresses.GREETER, new JsonObject().put("name", name), busDelivery)
      .onSuccess(reply -> ctx.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON)
        .end(reply.body() instanceof JsonObject body ? body.encode() : new JsonObject().put("greeting", reply.body()).encode()))
      .onFailure(failure -> {
        if (failure instanceof ReplyException reply && reply.failureType() == ReplyFailure.RECIPIENT_FAILURE && reply.failureCode() == 400) {
          JsonErrors.send(ctx.response(), 400, new JsonObject().put("error", reply.getMessage()));
        } else {
          busFailure(ctx, failure, "greeter", Addresses.GREETER);
        }
      });
  }

  private void busFailure(RoutingContext ctx, Throwable failure, String service, String address) {
    if (!(failure instanceof ReplyException reply)) {
      ctx.fail(failure);
      return;
    }
    switch (reply.failureType()) {
      case NO_HANDLERS:
        JsonErrors.send(ctx.response(), 503, new JsonObject().put("error", service + " service unavailable").put("address", address));
        break;
      case TIMEOUT:
        JsonErrors.send(ctx.response(), 504, new JsonObject().put("error", service + " service did not answer in time")
          .put("address", address).put("timeoutMs", options.busTimeout().toMillis()));
        break;
      default:
        JsonErrors.send(ctx.response(), 502, new JsonObject().put("error", service + " service failed")
          .put("address", address).put("code", reply.failureCode()).put("message", reply.getMessage()));
        break;
    }
  }
}
