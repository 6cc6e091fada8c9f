package dev.switchboard.bridge;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tokens, authorities, body matching and the validating address, over real sockets. */
class BridgeSecurityTest extends BridgeTestBase {

  private static JsonObject withTokens() {
    return standardSettings().put("tokens", new JsonArray(List.of(TOKEN + " admin", LIMITED_TOKEN)));
  }

  @Test
  void nothingButAuthIsHonouredBeforeAuthentication() throws Exception {
    int port = startBridge(withTokens());
    try (BridgeTestClient client = BridgeTestClient.connect(port)) {
      assertErr(client.call(frame("send", "test.echo").put("replyAddress", "r").put("id", 1)), "auth_required", "r");
      assertErr(client.call(frame("register", "client.x")), "auth_required", "client.x");
      assertErr(client.call(frame("ping").put("id", 2)), "auth_required", null);
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
    await(vertx.eventBus().<JsonObject>consumer("test.auth", message -> {
      String token = message.body().getString("token");
      if (token.equals("good-token")) {
        message.reply(new JsonObject().put("authorities", new JsonArray().add("admin")));
      } else if (token.equals("odd-token")) {
        message.reply(new JsonObject().put("no", "authorities"));
      } else {
        message.fail(401, "unknown");
      }
    }).completion());
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
}
