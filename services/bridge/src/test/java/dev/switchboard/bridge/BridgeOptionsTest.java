package dev.switchboard.bridge;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.testkit.OptionsChecks;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Settings of the bridge: defaults, the permission and token forms, validation, hidden tokens. */
class BridgeOptionsTest {

  @Test
  void defaultsAllowNothingAndNeedNoToken() {
    BridgeOptions options = BridgeOptions.fromJson(new JsonObject());
    assertEquals(7000, options.port());
    assertTrue(options.inbound().list().isEmpty());
    assertFalse(options.inbound().allows("echo", null, Set.of()));
    assertEquals(Permissions.Delivery.NONE, options.outbound().delivery("echo", Set.of()));
    assertFalse(options.authRequired());
    assertEquals(options.toJson(), BridgeOptions.fromJson(options.toJson()).toJson());
  }

  @Test
  void everyKeyReadsBackAndIsDescribed() {
    // Tokens are written hidden, so they stay at their default here; tokensAreLongEnoughAndNeverShown covers them.
    OptionsChecks.readsBackAndDescribesEveryKey(BridgeOptions.SCHEMA, BridgeOptions.fromJson(new JsonObject()
      .put("host", "127.0.0.1").put("port", 1).put("adminPort", 2)
      .put("inbound", "echo, chat.room.* authority=chat").put("outbound", "orders match.kind=paid match.n=1")
      .put("authAddress", "auth.check").put("authTimeout", "2s").put("maxFrameSize", 4096).put("maxRegistrations", 3)
      .put("maxInFlight", 4).put("maxPendingReplies", 5).put("requestTimeout", "10s").put("maxRequestTimeout", "1m")
      .put("replyTimeout", "20s").put("idleTimeout", "30s").put("maxWriteQueue", 8192).put("maxConnections", 7)
      .put("tls", true).put("tlsCert", "bridge.pem").put("tlsKey", "bridge.key").put("tlsClientCa", "ca.pem")));
  }

  @Test
  void aTokenNamingAnAuthorityTwiceIsRefusedWithoutShowingIt() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
      () -> BridgeOptions.fromJson(new JsonObject().put("tokens", "abcdefghijklmnopqrstuvwxyz admin admin")));
    assertEquals("bridge.tokens", e.key());
    assertFalse(e.getMessage().contains("abcdefghij"), e.getMessage());
  }

  @Test
  void permissionsReadTwiceFromOneSettingAreEqual() {
    String text = "chat.room.* authority=chat match.kind=\"text\"";
    assertEquals(Permission.parse("inbound", text), Permission.parse("inbound", text));
    assertEquals(BridgeOptions.fromJson(new JsonObject().put("inbound", text)), BridgeOptions.fromJson(new JsonObject().put("inbound", text)));
    assertFalse(Permission.parse("inbound", "a").equals(Permission.parse("inbound", "b")));
  }

  @Test
  void permissionsFromEnvironmentStyleStrings() {
    BridgeOptions options = BridgeOptions.fromJson(new JsonObject()
      .put("inbound", "echo, chat.room.* authority=chat, ~greet\\.(en|fr), orders match.kind=paid match.n=1"));
    Permissions inbound = options.inbound();
    assertTrue(inbound.allows("echo", "x", Set.of()));
    assertFalse(inbound.allows("echo.more", "x", Set.of()));
    assertTrue(inbound.allows("chat.room.lobby", null, Set.of("chat")));
    assertTrue(inbound.allows("chat.room.a.b", null, Set.of("chat")), "* spans dots");
    assertFalse(inbound.allows("chat.room.", null, Set.of("chat")), "* needs at least one character");
    assertFalse(inbound.allows("chat.room.lobby", null, Set.of()));
    assertTrue(inbound.allows("greet.fr", null, Set.of()));
    assertFalse(inbound.allows("greet.de", null, Set.of()));
    assertTrue(inbound.allows("orders", new JsonObject().put("kind", "paid").put("n", 1L), Set.of()));
    assertFalse(inbound.allows("orders", new JsonObject().put("kind", "paid").put("n", "1"), Set.of()));
    assertFalse(inbound.allows("orders", new JsonArray(), Set.of()));
    assertEquals(List.of("echo", "chat.room.* authority=chat", "~greet\\.(en|fr)", "orders match.kind=paid match.n=1"),
      options.toJson().getJsonArray("inbound").getList());
  }

  @Test
  void quotedMatchValuesAreStrings() {
    Permission permission = Permission.parse("inbound", "a match.code=\"42\" match.flag=true match.none=null");
    assertTrue(permission.allowsBody(new JsonObject().put("code", "42").put("flag", true).putNull("none")));
    assertFalse(permission.allowsBody(new JsonObject().put("code", 42).put("flag", true).putNull("none")));
  }

  @Test
  void badPermissionsAreRefusedWithTheirSetting() {
    for (String bad : List.of("~(unclosed", "a authority=", "a match.=1", "a colour=red", "a authority=x authority=y")) {
      InvalidSettingException e = assertThrows(InvalidSettingException.class,
        () -> BridgeOptions.fromJson(new JsonObject().put("outbound", new JsonArray().add(bad))), bad);
      assertTrue(e.getMessage().contains("bridge.outbound"), e.getMessage());
    }
  }

  @Test
  void tokensAreLongEnoughAndNeverShown() {
    BridgeOptions options = BridgeOptions.fromJson(new JsonObject().put("tokens", "abcdefghijklmnopqrstuvwxyz admin ops, 0123456789abcdef"));
    assertTrue(options.authRequired());
    assertEquals(Set.of("admin", "ops"), options.tokens().get(0).authorities());
    String shown = options.toJson().encode();
    assertFalse(shown.contains("abcdefghij") || shown.contains("0123456789"), shown);
    InvalidSettingException tooShort = assertThrows(InvalidSettingException.class,
      () -> BridgeOptions.fromJson(new JsonObject().put("tokens", "short admin")));
    assertFalse(tooShort.getMessage().contains("short"), "the refused token is not echoed: " + tooShort.getMessage());
  }

  @Test
  void limitsAndTlsAreValidated() {
    List<JsonObject> bad = List.of(
      new JsonObject().put("maxFrameSize", 100),
      new JsonObject().put("maxFrameSize", 4096).put("maxWriteQueue", 1024),
      new JsonObject().put("maxInFlight", 0),
      new JsonObject().put("requestTimeout", "10m"),
      new JsonObject().put("idleTimeout", "0s"),
      new JsonObject().put("tls", true),
      new JsonObject().put("tlsCert", "cert.pem"),
      new JsonObject().put("typo", 1));
    for (JsonObject settings : bad) {
      assertThrows(InvalidSettingException.class, () -> BridgeOptions.fromJson(settings), settings.encode());
    }
  }
}
