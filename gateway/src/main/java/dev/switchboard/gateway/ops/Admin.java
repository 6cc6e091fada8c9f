package dev.switchboard.gateway.ops;

import dev.switchboard.gateway.config.GatewayOptions;
import dev.switchboard.gateway.upstream.Upstream;
import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.ops.Operations;
import dev.switchboard.shared.web.JsonErrors;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/**
 * The gateway's admin port: {@code /health}, {@code /ready}, {@code /metrics}, the dashboard
 * with its state (every member address and service port of the cluster), and the cluster's
 * processes as Prometheus scrape targets. None of it is for the public: the admin port is the one a
 * deployment keeps on the inside (probes, Prometheus, operators).
 */
public final class Admin {

  private Admin() {
  }

  public static Router router(Vertx vertx, ServiceRuntime runtime, GatewayOptions options, Upstream upstream) {
    Router router = Router.router(vertx);
    Operations.mount(router, vertx, runtime);
    new Dashboard(vertx, options, upstream.backends(), upstream.meters().stats()).mount(router);
    new ScrapeTargets(upstream.backends()).mount(router);
    JsonErrors.install(router);
    return router;
  }
}
