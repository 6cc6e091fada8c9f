package dev.switchboard.bridge;

import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The protocol over a real socket, without authentication: requests, replies, registrations, errors. */
class BridgeProtocolTest extends BridgeTestBase {

  private int port;

  @BeforeEach
  void start() throws Exception {
    port = startBridge(standardSettings());
  }

  @Test
  void pingIsAnsweredWithPongCarryingTheId() throws Exception {
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      assertEquals(frame("pong"), client.call(frame("ping")));
      assertEquals(frame("pong").put("id", 7), client.call(frame("ping").put("id", 7)));
    }
  }

  @Test
  void requestGetsTheReplyWithHeadersAtTheReplyAddress() throws Exception {
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      JsonObject reply = client.call(frame("send", "test.echo").put("replyAddress", "r1").put("body", new JsonObject().put("n", 1)));
      assertEquals("message", reply.getString("type"));
      assertEquals("r1", reply.getString("address"));
      assertEquals(new JsonObject().put("n", 1), reply.getJsonObject("body"));
      assertEquals("true", reply.getJsonObject("headers").getString("echoed"));
      assertNull(reply.getString("replyAddress"));
    }
  }

  @Test
  void everyJsonBodyTravels() throws Exception {
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      for (Object body : List.of("text", 42, 3.5, true, new io.vertx.core.json.JsonArray().add(1).add("two"))) {
        JsonObject reply = client.call(frame("send", "test.echo").put("replyAddress", "r").put("body", body));
        assertEquals(body, reply.getValue("body"));
      }
      JsonObject none = client.call(frame("send", "test.echo").put("replyAddress", "r"));
      assertFalse(none.containsKey("body"), none::encode);
    }
  }

  @Test
  void failuresComeBackAsErrAtTheReplyAddress() throws Exception {
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      JsonObject failed = client.call(frame("send", "test.fail").put("replyAddress", "r2"));
      assertErr(failed, "recipient_failure", "r2");
      assertEquals("test.fail", failed.getString("sourceAddress"));
      assertEquals(TestConsumers.FAILURE_CODE, failed.getInteger("failureCode"));
      assertEquals("RECIPIENT_FAILURE", failed.getString("failureType"));
      assertEquals(TestConsumers.FAILURE_MESSAGE, failed.getString("message"));

      JsonObject nobody = client.call(frame("send", "test.nobody").put("replyAddress", "r3").put("id", "q"));
      assertErr(nobody, "no_handlers", "r3");
      assertEquals("q", nobody.getString("id"));
      assertEquals("NO_HANDLERS", nobody.getString("failureType"));

      JsonObject silent = client.call(frame("send", "test.silent").put("replyAddress", "r4").put("headers", new JsonObject().put("timeout", 200)));
      assertErr(silent, "timeout", "r4");
      assertEquals("TIMEOUT", silent.getString("failureType"));
    }
  }

  @Test
  void timeoutHeaderIsCheckedAndOtherHeadersArePassedOn() throws Exception {
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      JsonObject tooLong = client.call(frame("send", "test.echo").put("replyAddress", "r").put("headers", new JsonObject().put("timeout", 600_000)));
      assertErr(tooLong, "invalid_headers", "r");
      assertEquals(300_000, tooLong.getLong("limit"));
      assertErr(client.call(frame("send", "test.echo").put("replyAddress", "r").put("headers", new JsonObject().put("timeout", "soon"))), "invalid_headers", "r");
      assertErr(client.call(frame("publish", "test.echo").put("headers", new JsonObject().put("x", new JsonObject()))), "invalid_headers", "test.echo");
      JsonObject passed = client.call(frame("send", "test.echo").put("replyAddress", "r").put("headers", new JsonObject().put("trace", "abc").put("n", 5)));
      assertEquals("message", passed.getString("type"));
    }
  }

  @Test
  void sendAndPublishWithIdAreConfirmed() throws Exception {
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      assertEquals(frame("ok").put("id", "s1"), client.call(frame("send", "test.silent").put("id", "s1").put("body", 1)));
      assertEquals(frame("ok").put("id", 2), client.call(frame("publish", "test.news").put("id", 2).put("body", 1)));
    }
  }

  @Test
  void registeredClientReceivesSentAndPublishedMessages() throws Exception {
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      assertEquals(frame("ok").put("id", 1), client.call(frame("register", "client.inbox").put("id", 1)));
      vertx.eventBus().send("client.inbox", new JsonObject().put("hello", "point"), new DeliveryOptions().addHeader("h", "v"));
      JsonObject sent = client.read();
      assertEquals("message", sent.getString("type"));
      assertEquals("client.inbox", sent.getString("address"));
      assertEquals("point", sent.getJsonObject("body").getString("hello"));
      assertEquals("v", sent.getJsonObject("headers").getString("h"));
      assertTrue(sent.getBoolean("send"));

      vertx.eventBus().publish("client.inbox", "all");
      JsonObject published = client.read();
      assertEquals("all", published.getString("body"));
      assertFalse(published.getBoolean("send"));
    }
  }

  @Test
  void jvmRequestIsAnsweredByTheClient() throws Exception {
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      client.call(frame("register", "client.service").put("id", 1));
      var answer = vertx.eventBus().request("client.service", "question");
      JsonObject delivered = client.read();
      String replyAddress = delivered.getString("replyAddress");
      assertTrue(replyAddress.startsWith("__bridge.reply."), delivered::encode);
      assertEquals(frame("ok").put("id", "a"), client.call(frame("send", replyAddress).put("body", "answer").put("id", "a")));
      assertEquals("answer", TestKit.await(answer, WAIT).body());

      // the same reply address cannot be used twice
      assertErr(client.call(frame("send", replyAddress).put("body", "again")), "unknown_reply", replyAddress);
    }
  }

  @Test
  void jvmRequestIsFailedByTheClient() throws Exception {
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      client.call(frame("register", "client.service").put("id", 1));
      var answer = vertx.eventBus().request("client.service", "question");
      String replyAddress = client.read().getString("replyAddress");
      client.send(frame("send", replyAddress).put("failureCode", 409).put("message", "conflict"));
      ReplyException failure = assertInstanceOf(ReplyException.class, awaitFailure(answer));
      assertEquals(409, failure.failureCode());
      assertEquals("conflict", failure.getMessage());
    }
  }

  @Test
  void clientCanReplyAndWaitForTheAnswerToItsReply() throws Exception {
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      client.call(frame("register", "client.dialogue").put("id", 1));
      var first = vertx.eventBus().<Object>request("client.dialogue", "hello?");
      String replyAddress = client.read().getString("replyAddress");
      client.send(frame("send", replyAddress).put("body", "who is asking?").put("replyAddress", "r-back"));
      Message<Object> reply = TestKit.await(first, WAIT);
      assertEquals("who is asking?", reply.body());
      reply.reply("the JVM");
      JsonObject back = client.read();
      assertEquals("r-back", back.getString("address"));
      assertEquals("the JVM", back.getString("body"));
    }
  }

  @Test
  void duplicateRegisterAddsNoSecondConsumer() throws Exception {
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      assertEquals(frame("ok").put("id", 1), client.call(frame("register", "client.dup").put("id", 1)));
      assertEquals(frame("ok").put("id", 2), client.call(frame("register", "client.dup").put("id", 2)));
      vertx.eventBus().publish("client.dup", "a");
      vertx.eventBus().publish("client.dup", "b");
      assertEquals("a", client.read().getString("body"));
      assertEquals("b", client.read().getString("body"), "a second consumer would have delivered 'a' twice");

      assertEquals(frame("ok").put("id", 3), client.call(frame("unregister", "client.dup").put("id", 3)));
      assertErr(client.call(frame("unregister", "client.dup").put("id", 4)), "unknown_address", "client.dup");
      JsonObject nobody = client.call(frame("send", "client.dup").put("replyAddress", "r"));
      assertErr(nobody, "no_handlers", "r");
    }
  }

  @Test
  void badFramesGetErrAndTheConnectionGoesOn() throws Exception {
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      assertErr(client.writeRaw(raw("{not json")).read(), "invalid_json", null);
      assertErr(client.writeRaw(raw("[1,2]")).read(), "invalid_frame", null);
      assertErr(client.writeRaw(rawBytes(new byte[] {'"', (byte) 0xC3, (byte) 0x28, '"'})).read(), "invalid_utf8", null);
      assertErr(client.call(new JsonObject().put("address", "x")), "invalid_frame", null);
      JsonObject unknown = client.call(frame("subscribe", "test.echo").put("id", "u"));
      assertErr(unknown, "unknown_type", "test.echo");
      assertEquals("u", unknown.getString("id"));
      assertErr(client.call(frame("send").put("id", 1)), "missing_address", null);
      assertErr(client.call(frame("register").put("address", 5)), "invalid_address", null);
      assertErr(client.call(frame("publish", "__vertx.reply.1")), "invalid_address", "__vertx.reply.1");
      assertErr(client.call(frame("register", "__bridge.reply.1")), "invalid_address", "__bridge.reply.1");
      assertErr(client.call(frame("send", "test.echo").put("replyAddress", 3)), "invalid_frame", "test.echo");
      assertErr(client.call(frame("ping").put("id", new JsonObject())), "invalid_frame", null);
      assertEquals(frame("pong"), client.call(frame("ping")));
    }
  }

  @Test
  void deniedAddressesGetAccessDeniedNamingTheAddress() throws Exception {
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      assertErr(client.call(frame("send", "private.thing").put("body", 1)), "access_denied", "private.thing");
      JsonObject request = client.call(frame("send", "private.thing").put("replyAddress", "r9"));
      assertErr(request, "access_denied", "r9");
      assertEquals("private.thing", request.getString("sourceAddress"));
      assertErr(client.call(frame("publish", "private.thing")), "access_denied", "private.thing");
      assertErr(client.call(frame("register", "test.echo")), "access_denied", "test.echo");
      assertErr(client.call(frame("register", "secret.plans").put("id", 5)), "access_denied", "secret.plans");
      assertErr(client.call(frame("send", "secret.plans")), "access_denied", "secret.plans");
    }
  }

  private static byte[] raw(String payload) {
    return rawBytes(payload.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] rawBytes(byte[] payload) {
    return ByteBuffer.allocate(4 + payload.length).putInt(payload.length).put(payload).array();
  }
}
