package dev.switchboard.gateway;

import dev.switchboard.shared.Launcher;
import dev.switchboard.shared.ServiceDefinition;
import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.net.ConnectionLimit;
import dev.switchboard.shared.ops.Operations;
import dev.switchboard.shared.web.JsonErrors;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.MetricsDomain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The gateway: one instance per core, all on one port (as Node's cluster module shares one), each
 * forwarding its requests to the service nodes the cluster's registry lists.
 */
public final class GatewayVerticle extends VerticleBase {

  public static final ServiceDefinition<GatewayOptions> DEFINITION = new ServiceDefinition<>(
    GatewayOptions.SECTION, new GatewayOptions(), GatewayOptions::fromJson, GatewayOptions.DESCRIPTIONS,
    GatewayVerticle::instances,
    // Per request, Vert.x's HTTP server and client metrics cost the gateway a sixth of its CPU;
    // it counts and times its requests per route and backend itself.
    Set.of(MetricsDomain.HTTP_SERVER, MetricsDomain.HTTP_CLIENT));

  /** Where browsers reach the event bus over SockJS. */
  static final String EVENT_BUS_PATH = "/eventbus";
  private static final int CONNECT_TIMEOUT_MS = 2_000;
  /** Frames and messages the gateway relays; the services behind it set their own, smaller limits. */
  private static final int MAX_WEBSOCKET_FRAME = 1024 * 1024;
  private static final int MAX_WEBSOCKET_MESSAGE = 4 * 1024 * 1024;

  private final GatewayOptions options;
  private final ServiceRuntime runtime;
  private final Backends backends;
  private final Edge edge;
  private final RouteMeters meters;
  /** Per TCP route, shared by the instances: the route's maxConnections hold per process. */
  private final Map<TcpRoute, ConnectionLimit> tcpLimits;
  private final List<Route> routes;
  private final int instance;
  private final List<NetServer> tcpServers = new ArrayList<>();
  /** Made on the first request, tagged with the event loop that serves this instance's connections. */
  private Counter requests;
  private HttpServer server;

  GatewayVerticle(GatewayOptions options, ServiceRuntime runtime, Backends backends, Edge edge, RouteMeters meters,
                  Map<TcpRoute, ConnectionLimit> tcpLimits, int instance) {
    this.options = options;
    this.runtime = runtime;
    this.backends = backends;
    this.edge = edge;
    this.meters = meters;
    this.tcpLimits = tcpLimits;
    this.routes = options.routes().stream()
      .sorted(Comparator.comparingInt((Route r) -> r.prefix().length()).reversed())
      .toList();
    this.instance = instance;
  }

  public static void main(String[] args) {
    Launcher.launch(args, DEFINITION);
  }

  /** The instances of one process, sharing its view of the backends. */
  public static Supplier<GatewayVerticle> instances(GatewayOptions options, ServiceRuntime runtime) {
    Backends backends = new Backends(options);
    Edge edge = new Edge(options.edge(), runtime.meters());
    RouteMeters meters = new RouteMeters(runtime.meters(), new TrafficStats());
    Map<TcpRoute, ConnectionLimit> tcpLimits = new HashMap<>();
    for (TcpRoute route : options.tcpRoutes()) {
      tcpLimits.put(route, new ConnectionLimit(runtime.meters(), "gateway.tcp." + route.service(), route.maxConnections()));
    }
    return () -> new GatewayVerticle(options, runtime, backends, edge, meters, tcpLimits, runtime.nextInstance());
  }

  @Override
  public Future<?> start() {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions()
        .setConnectTimeout(CONNECT_TIMEOUT_MS)
        .setKeepAlive(true)
        .setTcpNoDelay(true),
      new PoolOptions().setHttp1MaxSize(options.maxConnections()));
    HttpForwarder forwarder = new HttpForwarder(client, backends, meters);

    WebSocketForwarder sockets = new WebSocketForwarder(
      vertx.createWebSocketClient(new WebSocketClientOptions()
        .setConnectTimeout(CONNECT_TIMEOUT_MS)
        .setMaxFrameSize(MAX_WEBSOCKET_FRAME)
        .setMaxMessageSize(MAX_WEBSOCKET_MESSAGE)),
      backends);

    Router router = Router.router(vertx);
    Operations.mount(router, vertx, runtime);
    edge.mount(router);
    new Dashboard(vertx, options, backends, meters.stats()).mount(router);
    router.route(EVENT_BUS_PATH + "/*").subRouter(EventBusBridge.router(vertx, options));
    Set<String> ownPaths = new Aggregator(vertx, client, backends).mount(router, options.busRoutes(), options.bff());
    router.route().handler(ctx -> route(ctx, forwarder, sockets, ownPaths));
    JsonErrors.install(router);

    server = vertx.createHttpServer(new HttpServerOptions()
        // HTTP/1.1 only for now: Vert.x 5.0.8 feeds the body of an "Upgrade: h2c" request into
        // HTTP/2 without backpressure (which Java's HttpClient sends by default).
        .setHttp2ClearTextEnabled(false)
        .setMaxWebSocketFrameSize(MAX_WEBSOCKET_FRAME)
        .setMaxWebSocketMessageSize(MAX_WEBSOCKET_MESSAGE)
        .setHost(options.host())
        .setPort(runtime.bindPort("http", options.port()))
        .setTcpNoDelay(true)
        .setMaxHeaderSize(options.edge().maxHeaderSize())
        .setIdleTimeout((int) options.idleTimeout().toMillis())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS))
      .invalidRequestHandler(JsonErrors::invalidRequest)
      .requestHandler(request -> {
        if (requests == null) {
          requests = Counter.builder("switchboard.gateway.instance.requests")
            .description("Requests received, per gateway verticle instance (one per core) and the event loop serving it")
            .tag("instance", String.valueOf(instance))
            .tag("eventLoop", Thread.currentThread().getName())
            .register(runtime.meters());
        }
        requests.increment();
        router.handle(request);
      });
    NetClient tcpClient = vertx.createNetClient(new NetClientOptions()
      .setConnectTimeout(CONNECT_TIMEOUT_MS)
      .setTcpNoDelay(true));
    for (TcpRoute route : options.tcpRoutes()) {
      TcpForwarder relay = new TcpForwarder(route, tcpClient, backends, tcpLimits.get(route), runtime.meters());
      tcpServers.add(vertx.createNetServer(new NetServerOptions()
          .setHost(options.host())
          .setPort(runtime.bindPort(route.endpoint(), route.port()))
          .setTcpNoDelay(true)
          .setIdleTimeout((int) options.idleTimeout().toMillis())
          .setIdleTimeoutUnit(TimeUnit.MILLISECONDS))
        .connectHandler(relay::accept));
    }
    // A server serves its connections on the event loop of the context it listens from. The
    // backends are shared by the instances, and their future (and anything composed on it) calls
    // back on the context of the instance that started them: listening from there put every
    // instance's connections on that one event loop (one core, in 4 of 5 starts). Listen from this
    // instance's own context (the TCP servers too).
    return backends.acquire(vertx)
      .compose(v -> Future.<Void>future(listened -> context.runOnContext(nothing -> listen().onComplete(listened))));
  }

  private Future<Void> listen() {
    List<Future<?>> all = new ArrayList<>();
    all.add(server.listen().onSuccess(s -> runtime.listening("http", "http://" + options.host() + ":" + s.actualPort())));
    for (int i = 0; i < tcpServers.size(); i++) {
      TcpRoute route = options.tcpRoutes().get(i);
      all.add(tcpServers.get(i).listen().onSuccess(s -> runtime.listening(route.endpoint(), options.host() + ":" + s.actualPort())));
    }
    return Future.all(all).mapEmpty();
  }

  @Override
  public Future<?> stop() {
    List<Future<?>> all = new ArrayList<>();
    all.add(server.shutdown(runtime.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS));
    tcpServers.forEach(tcp -> all.add(tcp.shutdown(runtime.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)));
    return Future.join(all).eventually(backends::release);
  }

  private void route(RoutingContext ctx, HttpForwarder forwarder, WebSocketForwarder sockets, Set<String> ownPaths) {
    HttpServerRequest request = ctx.request();
    String path = request.path();
    for (Route route : routes) {
      if (route.matches(path)) {
        if (request.canUpgradeToWebSocket()) {
          sockets.forward(request, route, Edge.requestId(ctx));
        } else if (!Edge.declaredTooLarge(ctx, edge.maxBody(route))) {
          forwarder.forward(request, route, Edge.requestId(ctx), edge.maxBody(route));
        }
        return;
      }
    }
    if (ownPaths.contains(path)) {
      ctx.fail(405); // a bus route or BFF endpoint, asked with another method: 405 with Allow
      return;
    }
    ctx.next();
  }
}
