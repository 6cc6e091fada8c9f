package dev.switchboard.bridge;

import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every limit of a connection, over real sockets: what the client is told, and what is released. */
class BridgeLimitsTest extends BridgeTestBase {

  @Test
  void hugeLengthPrefixIsRefusedBeforeAnyPayloadArrives() throws Exception {
    int port = startBridge(standardSettings().put("maxFrameSize", 4096));
    for (int length : new int[] {Integer.MAX_VALUE, 4097}) {
      try (BridgeTestClient client = BridgeTestClient.connect(port)) {
        client.writeRaw(ByteBuffer.allocate(4).putInt(length).array());
        List<JsonObject> frames = client.readUntilClosed();
        assertEquals(1, frames.size(), frames::toString);
        assertErr(frames.get(0), "frame_too_large", null);
        assertEquals(4096, frames.get(0).getInteger("limit"));
      }
    }
    for (int length : new int[] {0, -1, Integer.MIN_VALUE}) {
      try (BridgeTestClient client = BridgeTestClient.connect(port)) {
        client.writeRaw(ByteBuffer.allocate(4).putInt(length).array());
        assertErr(client.readUntilClosed().get(0), "invalid_length", null);
      }
    }
  }

  @Test
  void registrationsAreLimited() throws Exception {
    int port = startBridge(standardSettings().put("maxRegistrations", 2));
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      client.call(frame("register", "client.a").put("id", 1));
      client.call(frame("register", "client.b").put("id", 2));
      JsonObject refused = client.call(frame("register", "client.c").put("id", 3));
      assertErr(refused, "too_many_registrations", "client.c");
      assertEquals(2, refused.getInteger("limit"));
      client.call(frame("unregister", "client.a").put("id", 4));
      assertEquals(frame("ok").put("id", 5), client.call(frame("register", "client.c").put("id", 5)));
    }
  }

  @Test
  void requestsInFlightAreLimited() throws Exception {
    int port = startBridge(standardSettings().put("maxInFlight", 2));
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      JsonObject slow = new JsonObject().put("timeout", 500);
      client.send(frame("send", "test.silent").put("replyAddress", "s1").put("headers", slow));
      client.send(frame("send", "test.silent").put("replyAddress", "s2").put("headers", slow));
      JsonObject refused = client.call(frame("send", "test.echo").put("replyAddress", "s3"));
      assertErr(refused, "too_many_requests", "s3");
      assertEquals(2, refused.getInteger("limit"));
      assertErr(client.read(), "timeout", "s1");
      assertErr(client.read(), "timeout", "s2");
      assertEquals("s4", client.call(frame("send", "test.echo").put("replyAddress", "s4")).getString("address"));
    }
  }

  @Test
  void idleConnectionIsClosedAndPingKeepsItOpen() throws Exception {
    int port = startBridge(standardSettings().put("idleTimeout", "400ms"));
    try (BridgeTestClient pinging = BridgeTestClient.connect(port); BridgeTestClient idle = BridgeTestClient.connect(port)) {
      // ping without pause until the bridge has closed the idle one (bounded in time and count)
      long started = System.nanoTime();
      long deadline = started + Duration.ofSeconds(10).toNanos();
      int pongs = 0;
      while (errorCount("idle_timeout") == 0 && System.nanoTime() < deadline && pongs < 1_000_000) {
        assertEquals(frame("pong"), pinging.call(frame("ping")));
        pongs++;
      }
      assertTrue(System.nanoTime() - started >= Duration.ofMillis(400).toNanos(), "closed before idleTimeout");
      List<JsonObject> frames = idle.readUntilClosed();
      assertErr(frames.get(0), "idle_timeout", null);
      assertEquals(frame("pong"), pinging.call(frame("ping")), "the pinging connection outlived the idle timeout");
      assertEquals(1.0, errorCount("idle_timeout"));
    }
  }

  @Test
  void connectionsBeyondTheLimitAreTurnedAway() throws Exception {
    int port = startBridge(standardSettings().put("maxConnections", 1));
    try (BridgeTestClient first = BridgeTestClient.connect(port)) {
      assertEquals(frame("pong"), first.call(frame("ping")));
      try (BridgeTestClient second = BridgeTestClient.connect(port)) {
        assertErr(second.readUntilClosed().get(0), "too_many_connections", null);
      }
    }
    TestKit.awaitPoll(() -> {
      try (BridgeTestClient again = BridgeTestClient.connect(port)) {
        return again.call(frame("ping")).getString("type").equals("pong");
      } catch (Exception e) {
        return false;
      }
    }, Boolean::booleanValue, POLL, Duration.ofSeconds(10), "a connection is accepted once the first one closed");
  }

  @Test
  void clientThatDoesNotReadIsCutOffAtTheWriteQueueBound() throws Exception {
    int port = startBridge(standardSettings().put("maxWriteQueue", 64 * 1024).put("maxFrameSize", 16 * 1024));
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      client.socket().setReceiveBufferSize(4096);
      client.call(frame("register", "client.firehose").put("id", 1));
      String payload = "x".repeat(8 * 1024);
      // far more than the socket buffers and the write queue can hold; bounded in count
      int published = 0;
      while (published < 20_000 && bridgeConnections() > 0) {
        for (int i = 0; i < 100; i++) {
          vertx.eventBus().publish("client.firehose", payload);
        }
        published += 100;
        TestKit.await(vertx.eventBus().request("test.echo", "let the bridge catch up"), WAIT);
      }
      int sent = published;
      TestKit.awaitPoll(this::bridgeConnections, open -> open == 0, POLL, Duration.ofSeconds(10),
        "the bridge cut the non-reading client after " + sent + " errors " + errorCount("slow_consumer"));
      assertEquals(1.0, errorCount("slow_consumer"));
    }
  }

  @Test
  void unansweredMessagesFailAfterReplyTimeoutAndPendingRepliesAreBounded() throws Exception {
    int port = startBridge(standardSettings().put("replyTimeout", "300ms").put("maxPendingReplies", 2));
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      client.call(frame("register", "client.mute").put("id", 1));
      Future<?> first = vertx.eventBus().request("client.mute", 1);
      Future<?> second = vertx.eventBus().request("client.mute", 2);
      client.read();
      client.read();
      ReplyException busy = assertInstanceOf(ReplyException.class, awaitFailure(vertx.eventBus().request("client.mute", 3)));
      assertEquals(BridgeConnection.FAILURE_BUSY, busy.failureCode());
      for (Future<?> unanswered : List.of(first, second)) {
        ReplyException late = assertInstanceOf(ReplyException.class, awaitFailure(unanswered));
        assertEquals(BridgeConnection.FAILURE_NO_REPLY, late.failureCode());
      }
    }
  }

  @Test
  void messagesLargerThanAFrameAreNotDelivered() throws Exception {
    int port = startBridge(standardSettings().put("maxFrameSize", 1024).put("maxWriteQueue", 4096));
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      client.call(frame("register", "client.big").put("id", 1));
      ReplyException tooLarge = assertInstanceOf(ReplyException.class, awaitFailure(vertx.eventBus().request("client.big", "y".repeat(2000))));
      assertEquals(BridgeConnection.FAILURE_UNDELIVERABLE, tooLarge.failureCode());
      JsonObject answer = client.call(frame("send", "test.echo").put("replyAddress", "big").put("body", "z".repeat(900)));
      assertEquals("big", answer.getString("address"), answer::encode);
      // the echo of 900 characters plus the frame's fields still fits; 1000 does not
      JsonObject refused = client.call(frame("send", "test.echo").put("replyAddress", "big2").put("body", "z".repeat(950)));
      assertErr(refused, "frame_too_large", "big2");
    }
  }

  @Test
  void disconnectReleasesConsumersAndFailsPendingMessages() throws Exception {
    int port = startBridge(standardSettings());
    Future<?> pending;
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      client.call(frame("register", "client.gone").put("id", 1));
      pending = vertx.eventBus().request("client.gone", "are you there?");
      client.read();
    }
    ReplyException failure = assertInstanceOf(ReplyException.class, awaitFailure(pending));
    assertEquals(BridgeConnection.FAILURE_NO_REPLY, failure.failureCode());
    TestKit.awaitPoll(() -> {
      try {
        awaitFailure(vertx.eventBus().request("client.gone", "anyone?"));
        return true;
      } catch (Exception | AssertionError e) {
        return false;
      }
    }, Boolean::booleanValue, POLL, Duration.ofSeconds(10), "the consumer of the closed connection is gone");
  }

  private int bridgeConnections() {
    return (int) bridge.runtime().meters().get("switchboard.bridge.connections.open").gauge().value();
  }

  private double errorCount(String code) {
    return bridge.runtime().meters().get("switchboard.bridge.errors").tag("code", code).counter().count();
  }
}
