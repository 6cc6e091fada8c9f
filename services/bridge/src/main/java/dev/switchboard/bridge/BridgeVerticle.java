package dev.switchboard.bridge;

import dev.switchboard.shared.Launcher;
import dev.switchboard.shared.ServiceDefinition;
import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.ops.Operations;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The bridge service. One instance per event loop shares the bridge and admin ports; each keeps
 * the connections it accepted and sweeps them for idle, unauthenticated and unanswered state.
 */
public final class BridgeVerticle extends VerticleBase {

  public static final ServiceDefinition<BridgeOptions> DEFINITION = new ServiceDefinition<>(BridgeOptions.SCHEMA, BridgeVerticle::instances);

  /** Longest and shortest pause between sweeps; within that, a quarter of the shortest timeout. */
  static final long MAX_SWEEP_MILLIS = 1_000;
  static final long MIN_SWEEP_MILLIS = 20;

  private static final Logger log = LoggerFactory.getLogger(BridgeVerticle.class);

  private final BridgeOptions options;
  private final ServiceRuntime runtime;
  private final BridgeMetrics metrics;
  private final Set<BridgeConnection> connections = new HashSet<>();

  private Authenticator authenticator;
  private FrameTracing tracing;
  private NetServer server;
  private HttpServer admin;
  private long sweeper;

  BridgeVerticle(BridgeOptions options, ServiceRuntime runtime, BridgeMetrics metrics) {
    this.options = options;
    this.runtime = runtime;
    this.metrics = metrics;
  }

  public static void main(String[] args) {
    Launcher.launch(args, DEFINITION);
  }

  /** The instances of one process; they share one connection count and one set of metrics. */
  public static Supplier<BridgeVerticle> instances(BridgeOptions options, ServiceRuntime runtime) {
    BridgeMetrics metrics = new BridgeMetrics(runtime.meters(), options.maxConnections());
    return () -> new BridgeVerticle(options, runtime, metrics);
  }

  @Override
  public Future<?> start() {
    authenticator = new Authenticator(options, vertx.eventBus());
    tracing = new FrameTracing(((VertxInternal) vertx).tracer());
    server = vertx.createNetServer(serverOptions()).connectHandler(this::connected);
    admin = Operations.adminServer(vertx, runtime);
    long shortest = Math.min(options.idleTimeout().toMillis(), Math.min(options.authTimeout().toMillis(), options.replyTimeout().toMillis()));
    sweeper = vertx.setPeriodic(Math.max(MIN_SWEEP_MILLIS, Math.min(MAX_SWEEP_MILLIS, shortest / 4)), id -> sweep());
    String scheme = options.tls() ? "tls://" : "";
    return Future.all(
      server.listen().onSuccess(s -> runtime.listening("tcp", scheme + options.host() + ":" + s.actualPort())),
      admin.listen(runtime.bindPort("admin", options.adminPort()), options.host())
        .onSuccess(s -> runtime.listening("admin", "http://" + options.host() + ":" + s.actualPort())));
  }

  /** Stops accepting; each open connection gets {@code shutting_down} and is closed. */
  @Override
  public Future<?> stop() {
    vertx.cancelTimer(sweeper);
    return Future.join(server.shutdown(runtime.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS), admin.close());
  }

  private NetServerOptions serverOptions() {
    NetServerOptions net = new NetServerOptions()
      .setHost(options.host())
      .setPort(runtime.bindPort("tcp", options.port()))
      .setTcpNoDelay(true);
    if (options.tls()) {
      net.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(options.tlsCert()).setKeyPath(options.tlsKey()));
      if (!options.tlsClientCa().isEmpty()) {
        net.setClientAuth(ClientAuth.REQUIRED).setTrustOptions(new PemTrustOptions().addCertPath(options.tlsClientCa()));
      }
    }
    return net;
  }

  private void connected(NetSocket socket) {
    if (!metrics.tryOpen()) {
      log.debug("refusing {}: {} connections open", socket.remoteAddress(), options.maxConnections());
      metrics.error(ErrorCode.TOO_MANY_CONNECTIONS);
      socket.write(ConnectionWriter.encode(ConnectionWriter.errFrame(ErrorCode.TOO_MANY_CONNECTIONS,
          options.maxConnections() + " connections are open; try again later or another node", null, null, null)
        .put("limit", options.maxConnections())));
      socket.close();
      return;
    }
    BridgeConnection connection = new BridgeConnection(socket, options, vertx.eventBus(), authenticator, metrics, tracing);
    connections.add(connection);
    connection.start(() -> {
      connections.remove(connection);
      metrics.closed();
    });
  }

  private void sweep() {
    long now = System.nanoTime();
    for (BridgeConnection connection : new ArrayList<>(connections)) {
      connection.sweep(now);
    }
  }
}
