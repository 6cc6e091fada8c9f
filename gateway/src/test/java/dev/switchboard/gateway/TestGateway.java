package dev.switchboard.gateway;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A gateway for a test: deployed on port 0 and without TCP routes unless the test gives its own
 * (they would take port 8999); and the test's clean-up.
 */
final class TestGateway {

  private TestGateway() {
  }

  static Future<TestKit.Deployed> deploy(Vertx vertx, JsonObject settings, int instances) {
    return deploy(vertx, settings, instances, new IngressOptions());
  }

  static Future<TestKit.Deployed> deploy(Vertx vertx, JsonObject settings, int instances, IngressOptions ingress) {
    JsonObject json = new JsonObject().put("tcpRoutes", new JsonArray()).mergeIn(settings);
    return TestKit.deploy(vertx, GatewayVerticle.DEFINITION, json, instances, ingress);
  }

  /** Closes a test's client Vert.x and its cluster, those of them it got to start. */
  static void close(Vertx clientVertx, TestCluster cluster) throws Exception {
    if (clientVertx != null) {
      GatewayClusterTest.await(clientVertx.close());
    }
    if (cluster != null) {
      GatewayClusterTest.await(cluster.close());
    }
  }
}
