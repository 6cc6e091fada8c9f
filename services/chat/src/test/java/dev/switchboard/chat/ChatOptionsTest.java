package dev.switchboard.chat;

import dev.switchboard.shared.InvalidSettingException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatOptionsTest {

  @Test
  void defaultsRoundTripThroughJson() {
    ChatOptions defaults = new ChatOptions();
    assertEquals(3002, defaults.port());
    assertEquals(defaults, ChatOptions.fromJson(new JsonObject()));
    assertEquals(defaults, ChatOptions.fromJson(defaults.toJson()));
    assertEquals(defaults.toJson().fieldNames(), ChatOptions.DESCRIPTIONS.keySet());
  }

  @Test
  void readsStringsAsEnvironmentVariablesGiveThem() {
    ChatOptions options = ChatOptions.fromJson(new JsonObject().put("historySize", "7").put("idleTimeout", "90s").put("gapTimeout", "250ms"));
    assertEquals(7, options.historySize());
    assertEquals(Duration.ofSeconds(90), options.idleTimeout());
    assertEquals(Duration.ofMillis(250), options.gapTimeout());
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
    assertTrue(assertThrows(InvalidSettingException.class, () -> ChatOptions.fromJson(new JsonObject().put("histroySize", 5)))
      .getMessage().contains("chat.histroySize"));
  }
}
