package dev.switchboard.shared.ops;

import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.web.JsonErrors;
import dev.switchboard.shared.web.StrictHttp;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.micrometer.backends.BackendRegistries;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * The operations endpoints of a service: {@code GET /health} (the process answers),
 * {@code GET /ready} (listening, not draining, and the cluster joined when clustered) and
 * {@code GET /metrics} (Prometheus text). HTTP services mount them on their own router; TCP-only
 * services serve {@link #router} on an admin port.
 */
public final class Operations {

  public static final String HEALTH = "/health";
  public static final String READY = "/ready";
  public static final String METRICS = "/metrics";
  /** A cluster check that has not answered by then counts as down. */
  private static final long CLUSTER_CHECK_TIMEOUT_MS = 2_000;

  private Operations() {
  }

  /** A router with only the operations endpoints, answering anything else with a JSON error. */
  public static Router router(Vertx vertx, ServiceRuntime runtime) {
    Router router = Router.router(vertx);
    mount(router, vertx, runtime);
    JsonErrors.install(router);
    return router;
  }

  /**
   * An admin HTTP server serving only the operations endpoints, for services whose own port is not
   * HTTP (TCP echo, the bridge): held to the same framing and head timeout as every HTTP server.
   */
  public static HttpServer adminServer(Vertx vertx, ServiceRuntime runtime) {
    return StrictHttp.server(vertx, new HttpServerOptions().setHttp2ClearTextEnabled(false), runtime.ingress().headTimeout())
      .invalidRequestHandler(JsonErrors::invalidRequest)
      .requestHandler(router(vertx, runtime));
  }

  /** Adds the operations endpoints to {@code router}. */
  public static void mount(Router router, Vertx vertx, ServiceRuntime runtime) {
    mountProbes(router, vertx, runtime);
    router.route(HttpMethod.GET, METRICS).handler(Operations::metrics);
  }

  /**
   * Adds {@code /health} and {@code /ready} only: for a public port whose metrics are served
   * elsewhere (the gateway's admin port), while load balancers still probe the port they send to.
   */
  public static void mountProbes(Router router, Vertx vertx, ServiceRuntime runtime) {
    HealthCheckHandler health = HealthCheckHandler.create(vertx)
      .register("eventloop", promise -> promise.complete(Status.OK()));
    HealthCheckHandler ready = HealthCheckHandler.create(vertx)
      .register("listening", promise -> promise.complete(runtime.isServing() ? Status.OK() : Status.KO(
        new JsonObject().put("phase", runtime.isDraining() ? "draining" : "starting"))));
    if (vertx.isClustered()) {
      ready.register("cluster", CLUSTER_CHECK_TIMEOUT_MS, promise -> promise.complete(clusterStatus(vertx)));
    }
    router.route(HttpMethod.GET, HEALTH).handler(health);
    router.route(HttpMethod.GET, READY).handler(ready);
  }

  /**
   * Joined means the cluster manager is active and its Hazelcast member running. Partition safety
   * (all backups in sync) is deliberately neither required nor reported: it is false for a while
   * whenever a member joins or leaves, a node must not turn unready because another one moved, and
   * asking for it blocks.
   */
  private static Status clusterStatus(Vertx vertx) {
    ClusterManager manager = ((VertxInternal) vertx).clusterManager();
    if (!(manager instanceof HazelcastClusterManager hazelcast) || !hazelcast.isActive()) {
      return Status.KO(new JsonObject().put("reason", "not joined"));
    }
    if (!hazelcast.getHazelcastInstance().getLifecycleService().isRunning()) {
      return Status.KO(new JsonObject().put("reason", "hazelcast member stopped"));
    }
    // Only local state here: this runs on an event loop, and Hazelcast's isClusterSafe() asks every
    // member and waits, for seconds when one has just died (it blocked whole services in a test).
    return Status.OK(new JsonObject()
      .put("members", hazelcast.getHazelcastInstance().getCluster().getMembers().size()));
  }

  private static void metrics(RoutingContext ctx) {
    if (BackendRegistries.getDefaultNow() == null) {
      JsonErrors.send(ctx.response(), 503, new JsonObject().put("error", "metrics are disabled"));
      return;
    }
    PrometheusScrapingHandler.create().handle(ctx);
  }
}
