package dev.switchboard.gateway;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
