package dev.switchboard.gateway;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;

/**
 * A gateway for a test: deployed on port 0 and without TCP routes unless the test gives its own
 * (they would take port 8999); and the test's clean-up.
 */
final class TestGateway {

  /**
   * How long a gateway test waits for a future: a cluster of several members starting or stopping
   * on a starved 2-core machine takes its time.
   */
  static final Duration TIMEOUT = Duration.ofSeconds(60);

  private TestGateway() {
  }

  static Future<TestKit.Deployed> deploy(Vertx vertx, JsonObject settings, int instances) {
    return deploy(vertx, settings, instances, new IngressOptions());
  }

  static Future<TestKit.Deployed> deploy(Vertx vertx, JsonObject settings, int instances, IngressOptions ingress) {
    JsonObject json = new JsonObject().put("tcpRoutes", new JsonArray()).mergeIn(settings);
    return TestKit.deploy(vertx, GatewayVerticle.DEFINITION, json, instances, ingress);
  }

  /**
   * Starts an HTTP server on {@code node} (port 0) answering with {@code handler}, and announces it
   * in the registry as a node of {@code service}, as a service's launcher would: its port.
   */
  static Future<Integer> serveAs(Vertx node, String service, Handler<HttpServerRequest> handler) {
    return node.createHttpServer().requestHandler(handler).listen(0, "127.0.0.1").compose(server -> {
      ServiceRuntime runtime = ServiceRuntime.create(service, Duration.ofSeconds(1));
      runtime.listening("http", "http://127.0.0.1:" + server.actualPort());
      return ServiceRegistry.announce(node, runtime).map(server.actualPort());
    });
  }

  /** Closes a test's client Vert.x and its cluster, those of them it got to start. */
  static void close(Vertx clientVertx, TestCluster cluster) throws Exception {
    if (clientVertx != null) {
      TestKit.await(clientVertx.close(), TIMEOUT);
    }
    if (cluster != null) {
      TestKit.await(cluster.close(), TIMEOUT);
    }
  }
}
