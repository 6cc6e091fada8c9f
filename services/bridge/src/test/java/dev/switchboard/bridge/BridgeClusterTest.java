package dev.switchboard.bridge;

import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Two clustered nodes: the bridge on one, the JVM services on the other. Every round trip crosses
 * the cluster: client → bridge → Hazelcast → service and back, and the other way round.
 */
class BridgeClusterTest {

  private TestCluster cluster;
  private Vertx services;
  private int port;

  @BeforeEach
  void start() throws Exception {
    cluster = TestKit.await(TestCluster.start(2), Duration.ofSeconds(120));
    Vertx bridgeNode = cluster.node(0);
    services = cluster.node(1);
    TestKit.await(TestConsumers.register(services));
    port = TestKit.await(TestKit.deploy(bridgeNode, BridgeVerticle.DEFINITION, BridgeTestBase.standardSettings(), 1)).port("tcp");
  }

  @AfterEach
  void stop() throws Exception {
    TestKit.await(cluster.close(), Duration.ofSeconds(60));
  }

  @Test
  void requestsAndFailuresCrossTheCluster() throws Exception {
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      JsonObject reply = client.call(BridgeTestBase.frame("send", "test.echo").put("replyAddress", "r1").put("body", new JsonObject().put("from", "client")));
      assertEquals("client", reply.getJsonObject("body").getString("from"), reply::encode);
      assertEquals("true", reply.getJsonObject("headers").getString("echoed"));
      JsonObject failed = client.call(BridgeTestBase.frame("send", "test.fail").put("replyAddress", "r2"));
      BridgeTestBase.assertErr(failed, "recipient_failure", "r2");
      assertEquals(TestConsumers.FAILURE_CODE, failed.getInteger("failureCode"));
    }
  }

  @Test
  void serviceOnTheOtherNodeCallsTheClient() throws Exception {
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      assertEquals(BridgeTestBase.frame("ok").put("id", 1), client.call(BridgeTestBase.frame("register", "client.calc").put("id", 1)));
      // the registration reaches the other node's view of the cluster shortly after the ok
      TestKit.awaitPoll(() -> {
        try {
          var answer = services.eventBus().request("client.calc", new JsonObject().put("a", 2).put("b", 3));
          JsonObject delivered = client.read();
          client.send(BridgeTestBase.frame("send", delivered.getString("replyAddress"))
            .put("body", delivered.getJsonObject("body").getInteger("a") + delivered.getJsonObject("body").getInteger("b")));
          return Integer.valueOf(5).equals(TestKit.await(answer, Duration.ofSeconds(10)).body());
        } catch (Exception e) {
          return false;
        }
      }, Boolean::booleanValue, BridgeTestBase.POLL, Duration.ofSeconds(20), "a request from the services node answered by the bridge client");

      var failing = services.eventBus().request("client.calc", new JsonObject().put("a", 1));
      client.send(BridgeTestBase.frame("send", client.read().getString("replyAddress")).put("failureCode", 422).put("message", "b missing"));
      ReplyException failure = assertInstanceOf(ReplyException.class, BridgeTestBase.awaitFailure(failing));
      assertEquals(422, failure.failureCode());
      assertEquals("b missing", failure.getMessage());

      services.eventBus().publish("client.calc", "news");
      assertEquals("news", client.read().getString("body"));
    }
  }
}
