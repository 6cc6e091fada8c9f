package dev.switchboard.chat;

import dev.switchboard.shared.testkit.RawWebSocket;
import dev.switchboard.shared.testkit.WebSocketCorpus;
import dev.switchboard.shared.testkit.WebSocketCorpus.Burst;
import dev.switchboard.shared.testkit.WebSocketCorpus.Target;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The chat against the shared RFC 6455 corpus (every case must pass), with the limits it is
 * deployed with, and the chat's own way to send a client data it does not read: a room where
 * another member talks.
 */
class ChatConformanceTest extends ChatTestBase {

  private static final String ROOM = "corpus";
  /** Room messages in one burst to the non-reading member, and their text. */
  private static final int BURST_MESSAGES = 50;
  private static final String TEXT = "x".repeat(8000);

  /** The defaults, but fast enough a talker, and a small queue, for the slow-reader case. */
  private static final JsonObject SETTINGS = new JsonObject()
    .put("writeQueueMax", 16 * 1024).put("maxTextLength", TEXT.length())
    .put("rateLimit", 100_000).put("rateBurst", 100_000);

  @TestFactory
  Stream<DynamicTest> chatPassesTheRfc6455Corpus() {
    deploy(SETTINGS);
    ChatOptions options = ChatOptions.fromJson(SETTINGS.copy().put("host", "127.0.0.1").put("port", 0));
    return WebSocketCorpus.tests(Target.of("127.0.0.1", port, ChatVerticle.PATH, options.webSocketLimits()).withPush(this::talkTo));
  }

  @TestFactory
  Stream<DynamicTest> chatWithCompressionPassesTheRfc6455Corpus() {
    JsonObject settings = SETTINGS.copy().put("compression", true);
    deploy(settings);
    ChatOptions options = ChatOptions.fromJson(settings.copy().put("host", "127.0.0.1").put("port", 0));
    return WebSocketCorpus.tests(Target.of("127.0.0.1", port, ChatVerticle.PATH, options.webSocketLimits()).withPush(this::talkTo).withDeflate());
  }

  /** Joins the reader to a room where another member posts messages, a burst at a time, each burst seen by a third member. */
  private Burst talkTo(RawWebSocket reader) throws Exception {
    ChatTestClient talker = connect();
    ChatTestClient watcher = connect();
    talker.join(ROOM, "talker");
    watcher.join(ROOM, "watcher");
    reader.text(new JsonObject().put("type", "join").put("room", ROOM).put("nickname", "reader").encode());
    watcher.awaitOne(e -> "joined".equals(e.getString("type")) && "reader".equals(e.getString("nickname")));
    int[] posted = {0};
    return () -> {
      for (int i = 0; i < BURST_MESSAGES; i++) {
        talker.send(talker.message(TEXT));
      }
      posted[0] += BURST_MESSAGES;
      watcher.messages(posted[0]);
    };
  }

  @Test
  void messageFragmentedAroundAPingIsOneCommand() throws Exception {
    deploy(new JsonObject());
    try (RawWebSocket raw = raw()) {
      raw.frame(false, 0, RawWebSocket.TEXT, "{\"type\":".getBytes(StandardCharsets.UTF_8));
      raw.frame(true, 0, RawWebSocket.PING, new byte[] {9});
      raw.frame(true, 0, RawWebSocket.CONTINUATION, "\"dance\"}".getBytes(StandardCharsets.UTF_8));
      assertArrayEquals(new byte[] {9}, raw.awaitOpcode(RawWebSocket.PONG).payload());
      assertEquals("unknown_type", new JsonObject(raw.awaitOpcode(RawWebSocket.TEXT).text()).getString("code"));
    }
  }
}
