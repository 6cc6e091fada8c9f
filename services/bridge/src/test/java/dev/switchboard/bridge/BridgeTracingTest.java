package dev.switchboard.bridge;

import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.TestZipkin;
import dev.switchboard.shared.tracing.Tracing;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;

import static dev.switchboard.shared.testkit.TestZipkin.find;
import static dev.switchboard.shared.testkit.TestZipkin.show;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bridge's frames in a trace read back from a real Zipkin: the bridge and a service node
 * clustered, each with the tracer the launcher gives it. A client's request continues the
 * {@code traceparent} of its frame; a message delivered to a client carries the {@code traceparent}
 * of the bridge's delivery span, so the program behind the bridge continues from the bridge.
 */
class BridgeTracingTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private static Vertx testVertx;
  private static TestZipkin zipkin;
  private static TestCluster cluster;
  private static Vertx services;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    testVertx = TestKit.vertx();
    zipkin = TestZipkin.start(testVertx);
    List<UnaryOperator<VertxBuilder>> tracers = List.of(
      builder -> Tracing.install(builder, zipkin.tracing(), "bridge"),
      builder -> Tracing.install(builder, zipkin.tracing(), "backend"));
    cluster = TestCluster.started(List.of(UnaryOperator.identity(), UnaryOperator.identity()), tracers);
    services = cluster.node(1);
    TestKit.await(TestConsumers.register(services));
    port = TestKit.await(TestKit.deploy(cluster.node(0), BridgeVerticle.DEFINITION, BridgeTestBase.standardSettings(), 1)).port("tcp");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (cluster != null) {
        TestKit.await(cluster.close(), Duration.ofSeconds(60));
      }
      if (testVertx != null) {
        TestKit.await(testVertx.close());
      }
    } finally {
      if (zipkin != null) {
        zipkin.close();
      }
    }
  }

  @Test
  void aClientsRequestContinuesTheTraceOfItsFrame() throws Exception {
    String[] ids = TestZipkin.newIds();
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      JsonObject reply = client.call(BridgeTestBase.frame("send", "test.echo").put("replyAddress", "r1").put("body", "traced")
        .put("headers", new JsonObject().put("traceparent", "00-" + ids[0] + "-" + ids[1] + "-01")));
      assertEquals("traced", reply.getString("body"), reply::encode);
    }

    JsonArray spans = zipkin.trace(ids[0], s -> find(s, "bridge", "SERVER") != null && find(s, "bridge", "CLIENT") != null
      && find(s, "backend", "SERVER") != null);
    JsonObject frame = find(spans, "bridge", "SERVER");
    JsonObject busSend = find(spans, "bridge", "CLIENT");
    JsonObject consumer = find(spans, "backend", "SERVER");
    assertEquals(3, spans.size(), "the frame, the bus send, the consumer:" + show(spans));
    assertEquals(ids[1], frame.getString("parentId"), "the frame's span continues the client's:" + show(spans));
    assertEquals("send test.echo", frame.getString("name"), show(spans));
    assertEquals("test.echo", frame.getJsonObject("tags").getString("messaging.destination.name"), show(spans));
    assertEquals(frame.getString("id"), busSend.getString("parentId"), "the bus send is the frame's child:" + show(spans));
    assertEquals(busSend.getString("id"), consumer.getString("parentId"),
      "the consumer continues the bridge's send, not the client's header copied through:" + show(spans));
  }

  @Test
  void aDeliveryCarriesTheTraceparentOfTheBridgesOwnSpan() throws Exception {
    String[] ids = TestZipkin.newIds();
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      assertEquals("ok", client.call(BridgeTestBase.frame("register", "client.traced").put("id", 1)).getString("type"));
      // the registration reaches the service node's view of the cluster shortly after the ok
      JsonObject[] delivered = new JsonObject[1];
      Message<?>[] answer = new Message<?>[1];
      TestKit.awaitPoll(() -> {
        try {
          var request = services.eventBus().request("client.traced", "question",
            new DeliveryOptions().addHeader("traceparent", "00-" + ids[0] + "-" + ids[1] + "-01").setSendTimeout(5_000));
          delivered[0] = client.read();
          client.send(BridgeTestBase.frame("send", delivered[0].getString("replyAddress")).put("body", "answer"));
          answer[0] = TestKit.await(request, Duration.ofSeconds(10));
          return true;
        } catch (Exception e) {
          return false;
        }
      }, Boolean::booleanValue, BridgeTestBase.POLL, WAIT, "a traced request from the service node answered by the bridge client");
      assertEquals("answer", answer[0].body());

      String traceparent = delivered[0].getJsonObject("headers").getString("traceparent");
      assertTrue(traceparent != null && traceparent.matches("00-" + ids[0] + "-[0-9a-f]{16}-01"), delivered[0]::encode);
      String deliverySpan = traceparent.split("-")[2];
      assertNotEquals(ids[1], deliverySpan, "not the sender's header copied through");

      JsonArray spans = zipkin.trace(ids[0], s -> find(s, "bridge", "SERVER") != null && find(s, "bridge", "CLIENT") != null);
      JsonObject consumer = find(spans, "bridge", "SERVER");
      JsonObject delivery = find(spans, "bridge", "CLIENT");
      assertEquals(2, spans.size(), "the bridge's consumer and its delivery:" + show(spans));
      assertEquals(ids[1], consumer.getString("parentId"), show(spans));
      assertEquals(consumer.getString("id"), delivery.getString("parentId"), show(spans));
      assertEquals(deliverySpan, delivery.getString("id"), "the client continues the delivery span:" + show(spans));
      assertEquals("deliver client.traced", delivery.getString("name"), show(spans));
    }
  }
}
