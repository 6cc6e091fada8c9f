package dev.switchboard.shared.ws;

import dev.switchboard.shared.InvalidSettingException;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebSocketLimitsTest {

  @Test
  void defaultsRoundTripThroughJson() {
    assertEquals(WebSocketLimits.DEFAULT, WebSocketLimits.fromJson("ws", new JsonObject()));
    assertEquals(WebSocketLimits.DEFAULT, WebSocketLimits.fromJson("ws", WebSocketLimits.DEFAULT.toJson()));
    assertEquals(new WebSocketLimits(16 * 1024, 1024 * 1024, 2048, 5, 7),
      WebSocketLimits.fromJson("ws", new JsonObject().put("maxFrame", "16k").put("maxMessage", "1m")
        .put("writeQueueMax", 2048).put("pingRate", "5").put("pingBurst", 7)));
  }

  @Test
  void refusesLimitsThatCannotHoldNamingTheSetting() {
    assertTrue(assertThrows(InvalidSettingException.class, () -> WebSocketLimits.fromJson("ws", new JsonObject().put("maxFrame", 100)))
      .getMessage().contains("ws.maxFrame"));
    assertTrue(assertThrows(InvalidSettingException.class, () -> WebSocketLimits.fromJson("ws",
      new JsonObject().put("maxFrame", "64k").put("maxMessage", "16k"))).getMessage().contains("ws.maxMessage"));
    assertTrue(assertThrows(InvalidSettingException.class, () -> WebSocketLimits.fromJson("ws", new JsonObject().put("writeQueueMax", 10)))
      .getMessage().contains("ws.writeQueueMax"));
    assertTrue(assertThrows(InvalidSettingException.class, () -> WebSocketLimits.fromJson("ws", new JsonObject().put("pingRate", 0)))
      .getMessage().contains("ws.pingRate"));
    assertTrue(assertThrows(InvalidSettingException.class, () -> WebSocketLimits.fromJson("ws", new JsonObject().put("pingBurts", 3)))
      .getMessage().contains("ws.pingBurts"));
  }

  @Test
  void oneMessageLimitServesFramesAndMessages() {
    WebSocketLimits limits = WebSocketLimits.ofMessage(16 * 1024);
    assertEquals(16 * 1024, limits.maxFrame());
    assertEquals(16 * 1024, limits.maxMessage());
    assertEquals(WebSocketLimits.DEFAULT_WRITE_QUEUE_MAX, limits.writeQueueMax());
  }

  @Test
  void serverOptionsGetTheLimitsAndNoCompression() {
    HttpServerOptions options = new WebSocketLimits(4096, 8192, 4096, 1, 1)
      .applyTo(new HttpServerOptions().setPerMessageWebSocketCompressionSupported(true));
    assertEquals(4096, options.getMaxWebSocketFrameSize());
    assertEquals(8192, options.getMaxWebSocketMessageSize());
    assertFalse(options.getPerMessageWebSocketCompressionSupported());
    assertFalse(options.getPerFrameWebSocketCompressionSupported());
  }

  @Test
  void onlyCodesThatMayBeSentAreValid() {
    for (int code = 0; code < 70_000; code++) {
      boolean expected = code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999;
      assertEquals(expected, CloseCodes.isValid(code), "code " + code);
    }
  }
}
