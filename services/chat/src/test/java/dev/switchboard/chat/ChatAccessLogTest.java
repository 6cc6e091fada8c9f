package dev.switchboard.chat;

import ch.qos.logback.classic.Level;
import dev.switchboard.shared.testkit.LogCapture;
import dev.switchboard.shared.testkit.RawWebSocket;
import dev.switchboard.shared.web.AccessLog;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The chat's access line of an upgrade: written with status 101 as soon as it is upgraded (while
 * the connection is still open), its query's {@code access_token} as {@code …}.
 */
class ChatAccessLogTest extends ChatTestBase {

  @Test
  void anUpgradeIsLoggedWith101WhileItsConnectionIsOpen() throws Exception {
    deploy(new JsonObject());
    try (LogCapture logs = LogCapture.of(Level.INFO, AccessLog.LOGGER)) {
      String path = ChatVerticle.PATH + "?access_token=sekrit-value";
      try (RawWebSocket socket = RawWebSocket.connect("127.0.0.1", port,
        RawWebSocket.Request.upgrade("127.0.0.1", port, path).set("X-Request-Id", "ws-1"), 65536)) {
        List<LogCapture.Line> lines = logs.await(all -> all.stream().anyMatch(l -> l.message().contains("\"ws-1\"")), 10);
        JsonObject line = new JsonObject(lines.stream().filter(l -> l.message().contains("\"ws-1\"")).findFirst().orElseThrow().message());
        assertEquals(101, line.getInteger("status"), line.encode());
        assertEquals("GET", line.getString("method"), line.encode());
        assertEquals(ChatVerticle.PATH + "?access_token=…", line.getString("uri"), line.encode());
        assertEquals(ChatVerticle.PATH, line.getString("route"), line.encode());
        assertFalse(line.encode().contains("sekrit"), line.encode());
      }
    }
  }
}
