package dev.switchboard.gateway;

import dev.switchboard.gateway.bridge.BrowserBridge;
import dev.switchboard.gateway.compose.BffComposer;
import dev.switchboard.gateway.compose.BusEndpoints;
import dev.switchboard.gateway.config.BffEndpoint;
import dev.switchboard.gateway.config.BusRoute;
import dev.switchboard.gateway.config.GatewayOptions;
import dev.switchboard.gateway.config.TcpRoute;
import dev.switchboard.gateway.config.TlsOptions;
import dev.switchboard.gateway.edge.ClientConnections;
import dev.switchboard.gateway.edge.Edge;
import dev.switchboard.gateway.edge.TokenCheck;
import dev.switchboard.gateway.forward.HttpForwarder;
import dev.switchboard.gateway.forward.ProxyRoutes;
import dev.switchboard.gateway.forward.TcpForwarder;
import dev.switchboard.gateway.forward.WebSocketForwarder;
import dev.switchboard.gateway.ops.Admin;
import dev.switchboard.gateway.tls.Certificates;
import dev.switchboard.gateway.tls.HttpsRedirect;
import dev.switchboard.gateway.upstream.Backends;
import dev.switchboard.gateway.upstream.RouteMeters;
import dev.switchboard.gateway.upstream.Target;
import dev.switchboard.gateway.upstream.TrafficStats;
import dev.switchboard.gateway.upstream.Upstream;
import dev.switchboard.shared.Launcher;
import dev.switchboard.shared.ServiceDefinition;
import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.net.ConnectionLimit;
import dev.switchboard.shared.ops.Operations;
import dev.switchboard.shared.web.AccessLog;
import dev.switchboard.shared.web.JsonErrors;
import dev.switchboard.shared.web.StrictHttp;
import dev.switchboard.shared.web.TrustedProxies;
import dev.switchboard.shared.ws.WebSocketLimits;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
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
import io.vertx.micrometer.MetricsDomain;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The gateway: one instance per core, all on one port (as Node's cluster module shares one). A
 * request passes the stages in order — the {@link Edge} (ids, limits, CORS), then its route: a
 * proxied prefix ({@link ProxyRoutes}: HTTP or WebSocket forwarding), a bus route or BFF endpoint
 * (composition), or the browsers' bus bridge — and every call to a service node goes the one way
 * the {@link Upstream} gives. TCP routes have ports of their own; the operations endpoints and the
 * dashboard live on the admin port.
 */
public final class GatewayVerticle extends VerticleBase {

  public static final ServiceDefinition<GatewayOptions> DEFINITION = new ServiceDefinition<>(
    GatewayOptions.SCHEMA, GatewayVerticle::instances,
    // Per request, Vert.x's HTTP server and client metrics cost the gateway a sixth of its CPU;
    // it counts and times its requests per route and backend itself.
    Set.of(MetricsDomain.HTTP_SERVER, MetricsDomain.HTTP_CLIENT));

  private static final int CONNECT_TIMEOUT_MS = 2_000;
  /**
   * What each WebSocket connection of a relay may cost: frames up to 1 MiB and messages up to 4 MiB
   * (the services behind set their own, smaller limits), at most 2 MiB waiting for a peer (the relay
   * pauses a side at Vert.x's 64 KiB high-water mark, so only a peer that stops reading while pongs
   * and closes queue gets there), pings at the shared defaults.
   */
  private static final WebSocketLimits WEBSOCKET_LIMITS = WebSocketLimits.DEFAULT
    .withMaxFrame(1024 * 1024).withMaxMessage(4 * 1024 * 1024).withWriteQueueMax(2 * 1024 * 1024);

  /**
   * What the instances of one process share: the upstream with its nodes and meters, the edge's
   * budgets, the routes' targets, and the TLS certificate (null without TLS).
   */
  private record Shared(GatewayOptions options, ServiceRuntime runtime, Upstream upstream, Edge edge, ClientConnections clients,
                        List<ProxyRoutes.Proxied> routes, Map<TcpRoute, Target> tcpTargets,
                        Map<TcpRoute, ConnectionLimit> tcpLimits, Map<String, Target> bffTargets, Certificates certificates) {
  }

  private static final CharSequence STRICT_TRANSPORT_SECURITY = HttpHeaders.createOptimized("Strict-Transport-Security");

  private final Shared shared;
  private final int instance;
  private final List<NetServer> tcpServers = new ArrayList<>();
  /** Made on the first request, tagged with the event loop that serves this instance's connections. */
  private Counter requests;
  private HttpServer server;
  private HttpServer admin;
  /** The certificate pair this instance's servers were made with; null without TLS. */
  private Certificates.Pair madeWith;
  /** The plain port that redirects to HTTPS; null without one. */
  private HttpServer redirect;

  private GatewayVerticle(Shared shared, int instance) {
    this.shared = shared;
    this.instance = instance;
  }

  public static void main(String[] args) {
    Launcher.launch(args, DEFINITION);
  }

  /** The instances of one process, sharing its view of the backends. */
  public static Supplier<GatewayVerticle> instances(GatewayOptions options, ServiceRuntime runtime) {
    Upstream upstream = new Upstream(new Backends(options), new RouteMeters(runtime.meters(), new TrafficStats()));
    List<ProxyRoutes.Proxied> routes = options.routes().stream()
      .map(r -> new ProxyRoutes.Proxied(r, upstream.target(r.prefix(), r.service(), Backends.HTTP, r.policy(), r.hashOn(), r.retries())))
      .toList();
    Map<TcpRoute, Target> tcpTargets = new LinkedHashMap<>();
    Map<TcpRoute, ConnectionLimit> tcpLimits = new LinkedHashMap<>();
    for (TcpRoute route : options.tcpRoutes()) {
      tcpTargets.put(route, upstream.target(route.endpoint(), route.service(), Backends.TCP, route.policy(), null, route.retries()));
      tcpLimits.put(route, new ConnectionLimit(runtime.meters(), "gateway.tcp." + route.service(), route.maxConnections()));
    }
    Edge edge = new Edge(options.edge(), new TrustedProxies(runtime.ingress().proxies()), runtime.meters());
    ClientConnections clients = new ClientConnections(options.edge().maxConnectionsPerClient(), runtime.ingress().proxies(), runtime.meters());
    Certificates certificates = options.tls().enabled() ? new Certificates(options.tls(), runtime.meters()) : null;
    Shared shared = new Shared(options, runtime, upstream, edge, clients, routes,
      tcpTargets, tcpLimits, BffComposer.targets(upstream, options.bff()), certificates);
    return () -> new GatewayVerticle(shared, runtime.nextInstance());
  }

  @Override
  public Future<?> start() {
    // With TLS, the servers are made with the certificate: it is read (off the event loop) first;
    // with routes that ask for tokens, the keys are read first too.
    Certificates certificates = shared.certificates();
    return (certificates == null ? Future.<Void>succeededFuture() : certificates.acquire(vertx))
      .compose(v -> tokens())
      .compose(this::serve);
  }

  /** The check of the tokens routes ask for: none when no route asks. */
  private Future<TokenCheck> tokens() {
    GatewayOptions options = shared.options();
    if (!options.needsTokens()) {
      return Future.succeededFuture(TokenCheck.NONE);
    }
    if (!shared.runtime().auth().enabled()) {
      return Future.failedFuture(new IllegalStateException(
        "a route or /eventbus asks for tokens (auth=token, scopes=, eventBusAuth), but auth.jwks is not set"));
    }
    return shared.runtime().tokens(vertx).map(TokenCheck::new);
  }

  private Future<Void> serve(TokenCheck tokens) {
    GatewayOptions options = shared.options();
    TlsOptions tls = options.tls();
    ServiceRuntime runtime = shared.runtime();
    HttpClient client = vertx.createHttpClient(new HttpClientOptions()
        .setConnectTimeout(CONNECT_TIMEOUT_MS)
        .setKeepAlive(true)
        .setTcpNoDelay(true),
      new PoolOptions().setHttp1MaxSize(options.maxConnections()));
    HttpForwarder http = new HttpForwarder(vertx, client, shared.upstream(), options.edge().bodyTimeout());
    WebSocketForwarder sockets = new WebSocketForwarder(vertx,
      vertx.createWebSocketClient(WEBSOCKET_LIMITS.applyTo(new WebSocketClientOptions().setConnectTimeout(CONNECT_TIMEOUT_MS))),
      shared.upstream(), WEBSOCKET_LIMITS, options.idleTimeout());
    ProxyRoutes proxy = new ProxyRoutes(shared.routes(), shared.edge(), tokens, http, sockets);

    AccessLog accessLog = AccessLog.create(runtime.ingress());
    Router router = Router.router(vertx);
    accessLog.mount(router);
    Operations.mountProbes(router, vertx, runtime);
    shared.edge().mount(router);
    router.route(BrowserBridge.PATH + "/*").subRouter(BrowserBridge.router(vertx, options, tokens));
    new BusEndpoints(vertx, tokens).mount(router, options.busRoutes());
    new BffComposer(vertx, client, shared.upstream(), shared.bffTargets()).mount(router, options.bff());
    router.route().handler(proxy::handle);
    Set<String> ownPaths = ownPaths(options);
    router.route().handler(ctx -> {
      if (ownPaths.contains(ctx.request().path())) {
        ctx.fail(405); // a bus route or BFF endpoint, asked with another method: 405 with Allow
      } else {
        ctx.next();
      }
    });
    JsonErrors.install(router);
    Handler<HttpServerRequest> routed = proxy.ahead(router);

    // The WebSocket limits turn compression off: no extension is negotiated, so a compressed frame
    // (RSV1) is a protocol error, and no inflater expands a frame before any limit is checked.
    HttpServerOptions serverOptions = WEBSOCKET_LIMITS.applyTo(new HttpServerOptions())
      // HTTP/1.1 only for now: Vert.x 5.0.8 feeds the body of an "Upgrade: h2c" request into
      // HTTP/2 without backpressure (which Java's HttpClient sends by default).
      .setHttp2ClearTextEnabled(false)
      .setHost(options.host())
      .setPort(runtime.bindPort("http", options.port()))
      .setTcpNoDelay(true)
      .setMaxHeaderSize(options.edge().maxHeaderSize())
      .setIdleTimeout((int) options.idleTimeout().toMillis())
      .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    String hsts = null;
    if (tls.enabled()) {
      // HTTP/2 by ALPN (h1 clients keep HTTP/1.1 and the strict decoder); its header list bounded as HTTP/1.1's head.
      madeWith = shared.certificates().current();
      shared.certificates().applyTo(serverOptions).getInitialSettings().setMaxHeaderListSize(options.edge().maxHeaderSize());
      hsts = tls.hstsHeader();
    }
    String strictTransport = hsts;
    Duration headTimeout = runtime.ingress().headTimeout();
    server = vertx.createHttpServer(serverOptions)
      .connectionHandler(connection -> {
        StrictHttp.apply(connection, serverOptions, headTimeout);
        shared.clients().accept(connection);
      })
      .invalidRequestHandler(JsonErrors::invalidRequest)
      .requestHandler(accessLog.handler(request -> {
        if (requests == null) {
          requests = Counter.builder("switchboard.gateway.instance.requests")
            .description("Requests received, per gateway verticle instance (one per core) and the event loop serving it")
            .tag("instance", String.valueOf(instance))
            .tag("eventLoop", Thread.currentThread().getName())
            .register(runtime.meters());
        }
        requests.increment();
        if (strictTransport != null) {
          request.response().headers().set(STRICT_TRANSPORT_SECURITY, strictTransport);
        }
        routed.handle(request);
      }));
    admin = StrictHttp.server(vertx, new HttpServerOptions()
        .setHttp2ClearTextEnabled(false)
        .setHost(options.host())
        .setPort(runtime.bindPort("admin", options.adminPort())), headTimeout)
      .invalidRequestHandler(JsonErrors::invalidRequest)
      .requestHandler(Admin.router(vertx, runtime, options, shared.upstream()));
    if (tls.redirectPort() != TlsOptions.OFF) {
      HttpServerOptions redirectOptions = new HttpServerOptions()
        .setHttp2ClearTextEnabled(false)
        .setHost(options.host())
        .setPort(runtime.bindPort("redirect", tls.redirectPort()))
        .setTcpNoDelay(true)
        .setMaxHeaderSize(options.edge().maxHeaderSize())
        .setIdleTimeout((int) options.idleTimeout().toMillis())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
      redirect = vertx.createHttpServer(redirectOptions)
        .connectionHandler(connection -> {
          StrictHttp.apply(connection, redirectOptions, headTimeout);
          shared.clients().accept(connection);
        })
        .invalidRequestHandler(JsonErrors::invalidRequest)
        .requestHandler(new HttpsRedirect(tls, () -> server.actualPort()));
    }
    NetClient tcpClient = vertx.createNetClient(new NetClientOptions()
      .setConnectTimeout(CONNECT_TIMEOUT_MS)
      .setTcpNoDelay(true));
    for (TcpRoute route : options.tcpRoutes()) {
      TcpForwarder relay = new TcpForwarder(route, shared.tcpTargets().get(route), tcpClient, shared.upstream(),
        shared.tcpLimits().get(route), runtime.meters());
      NetServerOptions tcpOptions = new NetServerOptions()
        .setHost(options.host())
        .setPort(runtime.bindPort(route.endpoint(), route.port()))
        .setTcpNoDelay(true)
        .setIdleTimeout((int) options.idleTimeout().toMillis())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
      if (tls.enabled() && tls.tcp()) {
        shared.certificates().applyTo(tcpOptions); // TLS ends here: plain to the node
      }
      tcpServers.add(vertx.createNetServer(tcpOptions).connectHandler(relay::accept));
    }
    // A server serves its connections on the event loop of the context it listens from. The
    // backends are shared by the instances, and their future (and anything composed on it) calls
    // back on the context of the instance that started them: listening from there put every
    // instance's connections on that one event loop (one core, in 4 of 5 starts). Listen from this
    // instance's own context (the TCP servers too).
    return shared.upstream().backends().acquire(vertx)
      .compose(v -> Future.<Void>future(listened -> context.runOnContext(nothing -> listen().onComplete(listened))));
  }

  private Future<Void> listen() {
    GatewayOptions options = shared.options();
    ServiceRuntime runtime = shared.runtime();
    Certificates certificates = shared.certificates();
    boolean tcpTls = certificates != null && options.tls().tcp();
    List<Future<?>> all = new ArrayList<>();
    all.add(server.listen().compose(s -> certificates == null ? Future.succeededFuture() : certificates.register(s, madeWith))
      .onSuccess(s -> runtime.listening("http", (certificates == null ? "http://" : "https://") + options.host() + ":" + server.actualPort())));
    all.add(admin.listen().onSuccess(s -> runtime.listening("admin", "http://" + options.host() + ":" + s.actualPort())));
    if (redirect != null) {
      all.add(redirect.listen().onSuccess(s -> runtime.listening("redirect", "http://" + options.host() + ":" + s.actualPort())));
    }
    for (int i = 0; i < tcpServers.size(); i++) {
      TcpRoute route = options.tcpRoutes().get(i);
      NetServer tcp = tcpServers.get(i);
      all.add(tcp.listen().compose(s -> tcpTls ? certificates.register(s, madeWith) : Future.succeededFuture())
        .onSuccess(s -> runtime.listening(route.endpoint(), options.host() + ":" + tcp.actualPort())));
    }
    return Future.all(all).mapEmpty();
  }

  @Override
  public Future<?> stop() {
    long grace = shared.runtime().shutdownGrace().toMillis();
    Certificates certificates = shared.certificates();
    if (certificates != null) {
      certificates.unregister(server);
      tcpServers.forEach(certificates::unregister);
      certificates.release();
    }
    List<Future<?>> all = new ArrayList<>();
    all.add(server.shutdown(grace, TimeUnit.MILLISECONDS));
    all.add(admin.shutdown(grace, TimeUnit.MILLISECONDS));
    if (redirect != null) {
      all.add(redirect.shutdown(grace, TimeUnit.MILLISECONDS));
    }
    tcpServers.forEach(tcp -> all.add(tcp.shutdown(grace, TimeUnit.MILLISECONDS)));
    return Future.join(all).eventually(shared.upstream().backends()::release);
  }

  /** The paths the gateway answers itself, for a 405 when asked with another method. */
  private static Set<String> ownPaths(GatewayOptions options) {
    Set<String> paths = new HashSet<>();
    options.busRoutes().stream().map(BusRoute::path).forEach(paths::add);
    options.bff().stream().map(BffEndpoint::path).forEach(paths::add);
    return Set.copyOf(paths);
  }
}
