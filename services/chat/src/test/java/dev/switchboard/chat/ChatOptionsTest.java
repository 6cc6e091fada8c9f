package dev.switchboard.chat;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.testkit.OptionsChecks;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatOptionsTest {

  @Test
  void defaultsRoundTripThroughJson() {
    ChatOptions defaults = new ChatOptions();
    assertEquals(3002, defaults.port());
    assertEquals(defaults, ChatOptions.fromJson(new JsonObject()));
    assertEquals(defaults, ChatOptions.fromJson(defaults.toJson()));
    assertEquals(defaults.toJson().fieldNames(), ChatOptions.SCHEMA.descriptions().keySet());
  }

  @Test
  void everyKeyReadsBackAndIsDescribed() {
    OptionsChecks.readsBackAndDescribesEveryKey(ChatOptions.SCHEMA, new ChatOptions("127.0.0.1", 1, 7, 4096, 100, 200, 3, 4, 2,
      Duration.ofSeconds(10), Duration.ofSeconds(30), 50, 3, 4096, 1, 2, Duration.ofMillis(250), Duration.ofMinutes(1),
      Duration.ofSeconds(3), Duration.ofHours(1), Duration.ofSeconds(2), true, Duration.ofSeconds(3), "preferred_username",
      List.of("staff", "ops"), true, 100));
  }

  @Test
  void readsStringsAsEnvironmentVariablesGiveThem() {
    ChatOptions options = ChatOptions.fromJson(new JsonObject().put("historySize", "7").put("idleTimeout", "90s").put("gapTimeout", "250ms"));
    assertEquals(7, options.historySize());
    assertEquals(Duration.ofSeconds(90), options.idleTimeout());
    assertEquals(Duration.ofMillis(250), options.gapTimeout());
    ChatOptions expiry = ChatOptions.fromJson(new JsonObject().put("roomTtl", "5m").put("claimTtl", "3s"));
    assertEquals(Duration.ofMinutes(5), expiry.roomTtl());
    assertEquals(Duration.ofSeconds(3), expiry.claimTtl());
  }

  @Test
  void authIsOffByDefaultAndReadsAsTheEnvironmentGivesIt() {
    ChatOptions defaults = new ChatOptions();
    assertFalse(defaults.auth());
    assertEquals("sub", defaults.nicknameClaim());
    assertEquals(Duration.ofSeconds(10), defaults.authTimeout());
    assertEquals(List.of(), defaults.roomScopes());
    ChatOptions on = ChatOptions.fromJson(new JsonObject().put("auth", "true").put("authTimeout", "3s")
      .put("nicknameClaim", "preferred_username").put("roomScopes", " staff, ops "));
    assertTrue(on.auth());
    assertEquals(Duration.ofSeconds(3), on.authTimeout());
    assertEquals("preferred_username", on.nicknameClaim());
    assertEquals(List.of("staff", "ops"), on.roomScopes());
    assertEquals(on, ChatOptions.fromJson(on.toJson()));
  }

  @Test
  void roomScopesNameTheScopeOfTheRoomsTheyList() {
    ChatOptions some = ChatOptions.fromJson(new JsonObject().put("auth", true).put("roomScopes", "staff"));
    assertEquals("chat:staff", some.scopeFor("staff"));
    assertNull(some.scopeFor("lobby"));
    ChatOptions all = ChatOptions.fromJson(new JsonObject().put("auth", true).put("roomScopes", "*"));
    assertEquals("chat:lobby", all.scopeFor("lobby"));
    assertNull(new ChatOptions().scopeFor("lobby"));
  }

  @Test
  void refusesAuthSettingsThatCannotWork() {
    // Restricted rooms without tokens would be open to all: refused rather than ignored.
    assertTrue(assertThrows(InvalidSettingException.class, () -> ChatOptions.fromJson(new JsonObject().put("roomScopes", "staff")))
      .getMessage().contains("chat.roomScopes"));
    assertTrue(assertThrows(InvalidSettingException.class, () -> ChatOptions.fromJson(new JsonObject().put("auth", true).put("roomScopes", "Staff!")))
      .getMessage().contains("'Staff!'"));
    assertTrue(assertThrows(InvalidSettingException.class, () -> ChatOptions.fromJson(new JsonObject().put("nicknameClaim", "a b")))
      .getMessage().contains("chat.nicknameClaim"));
    assertTrue(assertThrows(InvalidSettingException.class, () -> ChatOptions.fromJson(new JsonObject().put("authTimeout", "0s")))
      .getMessage().contains("chat.authTimeout"));
    assertTrue(assertThrows(InvalidSettingException.class, () -> ChatOptions.fromJson(new JsonObject().put("authTimeout", "10m")))
      .getMessage().contains("chat.authTimeout"));
    assertTrue(assertThrows(InvalidSettingException.class, () -> ChatOptions.fromJson(new JsonObject().put("auth", "maybe")))
      .getMessage().contains("chat.auth"));
  }

  @Test
  void roomsPerConnectionAreSixteenByDefaultAndBounded() {
    assertEquals(16, new ChatOptions().maxRooms());
    assertEquals(1, ChatOptions.fromJson(new JsonObject().put("maxRooms", "1")).maxRooms());
    assertEquals(ChatOptions.MAX_ROOMS_LIMIT, ChatOptions.fromJson(new JsonObject().put("maxRooms", ChatOptions.MAX_ROOMS_LIMIT)).maxRooms());
    for (int bad : new int[] {0, -1, ChatOptions.MAX_ROOMS_LIMIT + 1}) {
      assertTrue(assertThrows(InvalidSettingException.class, () -> ChatOptions.fromJson(new JsonObject().put("maxRooms", bad)))
        .getMessage().contains("chat.maxRooms"));
    }
  }

  @Test
  void binaryMessagesHaveALimitOfTheirOwn() {
    assertEquals(8192, new ChatOptions().maxBinarySize());
    assertEquals(100, ChatOptions.fromJson(new JsonObject().put("maxBinarySize", "100")).maxBinarySize());
    for (int bad : new int[] {0, ChatOptions.MAX_MESSAGE_SIZE_LIMIT + 1}) {
      assertTrue(assertThrows(InvalidSettingException.class, () -> ChatOptions.fromJson(new JsonObject().put("maxBinarySize", bad)))
        .getMessage().contains("chat.maxBinarySize"));
    }
  }

  @Test
  void sweepAndTouchPacesFollowRoomTtlWithinBounds() {
    assertEquals(ChatVerticle.SWEEP_EVERY_MIN_MILLIS, ChatVerticle.sweepEvery(100));
    assertEquals(250, ChatVerticle.sweepEvery(1000));
    assertEquals(ChatVerticle.SWEEP_EVERY_MAX_MILLIS, ChatVerticle.sweepEvery(Duration.ofHours(24).toMillis()));
    assertEquals(100, ChatVerticle.touchEvery(1000));
    assertEquals(ChatVerticle.TOUCH_EVERY_MAX_MILLIS, ChatVerticle.touchEvery(Duration.ofHours(24).toMillis()));
  }

  @Test
  void upgradeLeftoversCanBeDroppedOnThisVertxVersion() {
    // If a Vert.x upgrade moves these internals, idle connections silently cost 15 KiB instead of 3: fail here.
    assertTrue(UpgradeLeftovers.available(), "UpgradeLeftovers no longer fits this Vert.x version");
  }

  @Test
  void refusesValuesOutsideTheirRangeNamingTheSetting() {
    assertTrue(assertThrows(InvalidSettingException.class, () -> ChatOptions.fromJson(new JsonObject().put("port", 70000)))
      .getMessage().contains("chat.port"));
    assertTrue(assertThrows(InvalidSettingException.class, () -> ChatOptions.fromJson(new JsonObject().put("historySize", -1)))
      .getMessage().contains("chat.historySize"));
    assertTrue(assertThrows(InvalidSettingException.class, () -> ChatOptions.fromJson(new JsonObject().put("maxMessageSize", 10)))
      .getMessage().contains("chat.maxMessageSize"));
    assertTrue(assertThrows(InvalidSettingException.class, () -> ChatOptions.fromJson(new JsonObject().put("idleTimeout", "0s")))
      .getMessage().contains("chat.idleTimeout"));
    assertTrue(assertThrows(InvalidSettingException.class, () -> ChatOptions.fromJson(new JsonObject().put("roomTtl", "0s")))
      .getMessage().contains("chat.roomTtl"));
    assertTrue(assertThrows(InvalidSettingException.class, () -> ChatOptions.fromJson(new JsonObject().put("histroySize", 5)))
      .getMessage().contains("chat.histroySize"));
  }
}
