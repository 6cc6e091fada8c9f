package dev.switchboard.gateway;

import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Deploys a gateway for a test: on port 0, and without TCP routes unless the test gives its own (they would take port 8999). */
final class TestGateway {

  private TestGateway() {
  }

  static Future<TestKit.Deployed> deploy(Vertx vertx, JsonObject settings, int instances) {
    JsonObject json = new JsonObject().put("tcpRoutes", new JsonArray()).mergeIn(settings);
    return TestKit.deploy(vertx, GatewayVerticle.DEFINITION, json, instances);
  }
}
