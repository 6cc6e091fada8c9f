package dev.switchboard.bridge;

import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tokens, authorities, body matching and the validating address, over real sockets. */
class BridgeSecurityTest extends BridgeTestBase {

  static JsonObject bearer(String token) {
    return new JsonObject().put("authorization", "Bearer " + token);
  }

  private static JsonObject withTokens() {
    return standardSettings().put("tokens", new JsonArray(List.of(TOKEN + " admin", LIMITED_TOKEN)));
  }

  @Test
  void nothingButAuthAndPingIsHonouredBeforeAuthentication() throws Exception {
    int port = startBridge(withTokens());
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      assertErr(client.call(frame("send", "test.echo").put("replyAddress", "r").put("id", 1)), "auth_required", "r");
      assertErr(client.call(frame("register", "client.x")), "auth_required", "client.x");
      assertEquals(frame("pong").put("id", 2), client.call(frame("ping").put("id", 2)), "the Vert.x clients ping first");
      assertEquals(frame("ok").put("id", "a"), client.call(frame("auth").put("token", TOKEN).put("id", "a")));
      assertEquals("message", client.call(frame("send", "test.echo").put("replyAddress", "r")).getString("type"));
    }
  }

  @Test
  void wrongTokenIsRefusedAndTheConnectionClosed() throws Exception {
    int port = startBridge(withTokens());
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      client.send(frame("auth").put("token", "not-a-token-at-all").put("id", 9));
      List<JsonObject> frames = client.readUntilClosed();
      assertEquals(1, frames.size(), frames::toString);
      assertErr(frames.get(0), "auth_failed", null);
      assertEquals(9, frames.get(0).getInteger("id"));
    }
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      assertErr(client.call(frame("auth").put("id", 1)), "invalid_frame", null);
    }
  }

  @Test
  void authoritiesDecideWhatATokenMayDo() throws Exception {
    int port = startBridge(withTokens());
    try (BridgeTestClient limited = BridgeTestClient.connect(port); BridgeTestClient admin = BridgeTestClient.connect(port)) {
      limited.call(frame("auth").put("token", LIMITED_TOKEN).put("id", 1));
      admin.call(frame("auth").put("token", TOKEN).put("id", 1));
      assertErr(limited.call(frame("register", "secret.plans").put("id", 2)), "access_denied", "secret.plans");
      assertErr(limited.call(frame("publish", "secret.plans")), "access_denied", "secret.plans");
      assertErr(limited.call(frame("send", "secret.plans").put("replyAddress", "r")), "access_denied", "r");
      assertEquals(frame("ok").put("id", 2), admin.call(frame("register", "secret.plans").put("id", 2)));
      assertEquals(frame("ok").put("id", 3), admin.call(frame("publish", "secret.plans").put("body", "x").put("id", 3)));
      assertEquals("x", admin.read().getString("body"));
    }
  }

  @Test
  void unauthenticatedConnectionIsClosedAfterAuthTimeout() throws Exception {
    int port = startBridge(withTokens().put("authTimeout", "300ms"));
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      List<JsonObject> frames = client.readUntilClosed();
      assertErr(frames.get(frames.size() - 1), "auth_timeout", null);
    }
  }

  @Test
  void tokensCanBeValidatedByABusAddress() throws Exception {
    int port = startBridge(standardSettings().put("authAddress", "test.auth"));
    TestKit.await(vertx.eventBus().<JsonObject>consumer("test.auth", message -> {
      String token = message.body().getString("token");
      if (token.equals("good-token")) {
        message.reply(new JsonObject().put("authorities", new JsonArray().add("admin")));
      } else if (token.equals("odd-token")) {
        message.reply(new JsonObject().put("no", "authorities"));
      } else {
        message.fail(401, "unknown");
      }
    }).completion(), WAIT);
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      assertEquals(frame("ok").put("id", 1), client.call(frame("auth").put("token", "good-token").put("id", 1)));
      assertEquals(frame("ok").put("id", 2), client.call(frame("register", "secret.x").put("id", 2)));
    }
    for (String refused : List.of("bad-token", "odd-token")) {
      try (BridgeTestClient client = BridgeTestClient.connect(port)) {
        client.send(frame("auth").put("token", refused));
        assertErr(client.readUntilClosed().get(0), "auth_failed", null);
      }
    }
  }

  @Test
  void matchFiltersWhatMayBeSentAndWhatIsDelivered() throws Exception {
    int port = startBridge(new JsonObject()
      .put("inbound", new JsonArray(List.of("orders match.kind=paid match.amount=10")))
      .put("outbound", new JsonArray(List.of("orders match.kind=paid"))));
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      client.call(frame("register", "orders").put("id", 1));
      assertErr(client.call(frame("publish", "orders").put("body", new JsonObject().put("kind", "free").put("amount", 10))), "access_denied", "orders");
      assertErr(client.call(frame("publish", "orders").put("body", "not an object")), "access_denied", "orders");
      assertEquals(frame("ok").put("id", 2), client.call(frame("publish", "orders").put("id", 2).put("body", new JsonObject().put("kind", "paid").put("amount", 10))));
      assertEquals("paid", client.read().getJsonObject("body").getString("kind"));

      // an unmatched message is not delivered, and a request for it is failed back to its sender
      Throwable denied = awaitFailure(vertx.eventBus().request("orders", new JsonObject().put("kind", "refund")));
      assertTrue(denied.getMessage().contains("may not receive"), denied::getMessage);
      vertx.eventBus().publish("orders", new JsonObject().put("kind", "paid").put("n", 2));
      assertEquals(2, client.read().getJsonObject("body").getInteger("n"), "the refund must not have been delivered");
    }
  }

  @Test
  void aTokenInTheAuthorizationHeaderAuthenticatesAndItsFrameIsCarriedOut() throws Exception {
    int port = startBridge(withTokens());
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      JsonObject reply = client.call(frame("send", "secret.echo").put("replyAddress", "r1").put("headers", bearer(TOKEN)).put("body", "hi"));
      assertErr(reply, "no_handlers", "r1");
      assertEquals(frame("ok").put("id", 2), client.call(frame("register", "secret.x").put("id", 2)), "the token's authorities hold for later frames");
    }
    for (String type : List.of("register", "unregister", "publish")) {
      try (BridgeTestClient client = BridgeTestClient.connect(port)) {
        JsonObject first = client.call(frame(type, "client.x").put("id", 1).put("headers", new JsonObject().put("Authorization", "bearer  " + TOKEN)));
        assertEquals(type.equals("unregister") ? "err" : "ok", first.getString("type"), first::encode);
      }
    }
  }

  @Test
  void framesBehindATokenBeingCheckedWaitAndAreCarriedOutInOrder() throws Exception {
    int port = startBridge(standardSettings().put("authAddress", "test.auth"));
    TestKit.await(vertx.eventBus().<JsonObject>consumer("test.auth", message -> {
      // answered on a later turn of the event loop, so that the frames behind it arrive first
      vertx.setTimer(50, t -> message.reply(new JsonObject().put("authorities", new JsonArray().add("admin"))));
    }).completion(), WAIT);
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      all.write(BridgeTestClient.frameBytes(frame("register", "secret.room").put("id", 1).put("headers", bearer("good-token"))));
      all.write(BridgeTestClient.frameBytes(frame("send", "test.echo").put("replyAddress", "r2").put("body", 2)));
      all.write(BridgeTestClient.frameBytes(frame("ping").put("id", 3)));
      all.write(BridgeTestClient.frameBytes(frame("auth").put("token", "other-token").put("id", 4)));
      all.write(BridgeTestClient.frameBytes(frame("publish", "secret.room").put("id", 5).put("body", "after")));
      client.writeRaw(all.toByteArray());
      assertEquals(frame("ok").put("id", 1), client.read());
      // the answer to the request comes whenever the bus has it; the rest in the order sent
      List<JsonObject> rest = new ArrayList<>();
      JsonObject echoed = null;
      for (int i = 0; i < 5; i++) {
        JsonObject next = client.read();
        if ("r2".equals(next.getString("address"))) {
          echoed = next;
        } else {
          rest.add(next);
        }
      }
      assertNotNull(echoed, rest::toString);
      assertEquals(2, echoed.getInteger("body"), echoed::encode);
      assertEquals(List.of(frame("pong").put("id", 3), frame("ok").put("id", 4), frame("ok").put("id", 5)), rest.subList(0, 3),
        "published with the authorities of the second token");
      assertEquals("after", rest.get(3).getString("body"));
    }
  }

  @Test
  void aLaterFrameWithAnotherTokenIsRefusedAndTokensNeverReachTheBus() throws Exception {
    int port = startBridge(withTokens());
    LinkedBlockingQueue<JsonObject> seen = new LinkedBlockingQueue<>();
    TestKit.await(vertx.eventBus().consumer("test.tokens-seen", message -> {
      JsonObject headers = new JsonObject();
      message.headers().forEach(header -> headers.put(header.getKey(), header.getValue()));
      seen.add(headers);
    }).completion(), WAIT);
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      assertEquals(frame("ok").put("id", 1), client.call(frame("send", "test.tokens-seen").put("id", 1).put("headers", bearer(TOKEN).put("kept", "yes"))));
      assertEquals(frame("ok").put("id", 2), client.call(frame("send", "test.tokens-seen").put("id", 2).put("headers", bearer(TOKEN))), "the same token again");
      assertErr(client.call(frame("send", "test.tokens-seen").put("id", 3).put("headers", bearer(LIMITED_TOKEN))), "token_mismatch", "test.tokens-seen");
      assertErr(client.call(frame("register", "client.y").put("headers", bearer("not-a-token-at-all"))), "token_mismatch", "client.y");
      assertEquals(frame("ok").put("id", 4), client.call(frame("auth").put("token", LIMITED_TOKEN).put("id", 4)));
      assertEquals(frame("ok").put("id", 5), client.call(frame("send", "test.tokens-seen").put("id", 5).put("headers", bearer(LIMITED_TOKEN))),
        "auth changes the connection's token");
      for (int i = 0; i < 3; i++) {
        JsonObject headers = seen.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(headers, "message " + i + " did not arrive");
        assertFalse(headers.fieldNames().stream().anyMatch(name -> name.equalsIgnoreCase("authorization")), headers::encode);
        assertEquals(i == 0 ? "yes" : null, headers.getString("kept"));
      }
    }
  }

  @Test
  void aRefusedTokenInAHeaderClosesTheConnectionWithAnErrAtTheRequest() throws Exception {
    int port = startBridge(withTokens());
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      client.send(frame("send", "test.echo").put("replyAddress", "r9").put("headers", bearer("not-a-token-at-all")));
      client.send(frame("ping"));
      List<JsonObject> frames = client.readUntilClosed();
      assertEquals(1, frames.size(), frames::toString);
      assertErr(frames.get(0), "auth_failed", "r9");
      assertEquals("test.echo", frames.get(0).getString("sourceAddress"));
    }
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      for (Object bad : List.of("Basic " + TOKEN, TOKEN, "Bearer ", 42)) {
        assertErr(client.call(frame("publish", "client.x").put("headers", new JsonObject().put("authorization", bad))), "invalid_headers", "client.x");
      }
      assertErr(client.call(frame("register", "client.x").put("headers", bearer(TOKEN).put("AUTHORIZATION", "Bearer " + TOKEN))),
        "invalid_headers", "client.x");
    }
  }
}
