package dev.switchboard.chat;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.testkit.RawWebSocket;
import dev.switchboard.shared.testkit.ServerMemory;
import dev.switchboard.shared.testkit.WebSocketCorpus;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * permessage-deflate: negotiated when on and offered, messages over the threshold sent compressed
 * (once for all members), what clients send compressed taken, and deflate bombs closed with 1009
 * while the server's memory stays flat.
 */
class ChatCompressionTest extends ChatTestBase {

  private static final int RSV1 = 4;
  private static final int THRESHOLD = 200;
  private static final JsonObject COMPRESSING = new JsonObject().put("compression", true).put("compressionThreshold", THRESHOLD);
  private static final String LONG_TEXT = "a message long enough to be worth compressing; ".repeat(12);
  /** Bombs sent in a row, each on a connection of its own. */
  private static final int BOMBS = 5;

  @Test
  void negotiatesTheExtensionOnlyWhenOnAndOffered() throws Exception {
    deploy(COMPRESSING);
    try (RawWebSocket offered = offeringDeflate(); RawWebSocket plain = raw()) {
      assertTrue(String.valueOf(offered.handshake().header("Sec-WebSocket-Extensions")).startsWith("permessage-deflate"),
        "answer: " + offered.handshake().header("Sec-WebSocket-Extensions"));
      assertNull(plain.handshake().header("Sec-WebSocket-Extensions"), "nothing negotiated without an offer");
    }
  }

  @Test
  void isOffByDefault() throws Exception {
    deploy(new JsonObject());
    try (RawWebSocket offered = offeringDeflate()) {
      assertNull(offered.handshake().header("Sec-WebSocket-Extensions"));
    }
  }

  @Test
  void sendsMessagesOverTheThresholdCompressedToClientsThatNegotiatedItAndPlainToOthers() throws Exception {
    deploy(COMPRESSING);
    try (RawWebSocket deflating = offeringDeflate(); RawWebSocket plain = raw()) {
      join(deflating, "deflating");
      join(plain, "plain");
      ChatTestClient sender = connect();
      sender.join("lobby", "sender");
      sender.send(sender.message("short"));
      sender.send(sender.message(LONG_TEXT));

      RawWebSocket.Frame shortOne = nextMessage(deflating);
      assertEquals(0, shortOne.rsv(), "below the threshold: sent as it is");
      assertEquals("short", new JsonObject(shortOne.text()).getString("text"));
      RawWebSocket.Frame longOne = nextMessage(deflating);
      assertEquals(RSV1, longOne.rsv(), "over the threshold: compressed");
      JsonObject inflated = new JsonObject(new String(RawWebSocket.inflate(longOne.payload()), StandardCharsets.UTF_8));
      assertEquals(LONG_TEXT, inflated.getString("text"));
      assertTrue(longOne.payload().length < LONG_TEXT.length(), "compressed to " + longOne.payload().length + " bytes");

      assertEquals(0, nextMessage(plain).rsv());
      RawWebSocket.Frame plainLong = nextMessage(plain);
      assertEquals(0, plainLong.rsv(), "a client that did not offer it gets no compressed frame");
      assertEquals(LONG_TEXT, new JsonObject(plainLong.text()).getString("text"));
    }
  }

  @Test
  void takesCompressedCommandsWholeOrFragmented() throws Exception {
    deploy(COMPRESSING);
    try (RawWebSocket deflating = offeringDeflate()) {
      byte[] join = RawWebSocket.deflate(new JsonObject().put("type", "join").put("room", "lobby").put("nickname", "zip").encode()
        .getBytes(StandardCharsets.UTF_8));
      deflating.frame(true, RSV1, RawWebSocket.TEXT, join);
      byte[] message = RawWebSocket.deflate(new JsonObject().put("type", "message").put("text", LONG_TEXT).encode().getBytes(StandardCharsets.UTF_8));
      int half = message.length / 2;
      deflating.frame(false, RSV1, RawWebSocket.TEXT, Arrays.copyOfRange(message, 0, half));
      deflating.frame(true, 0, RawWebSocket.CONTINUATION, Arrays.copyOfRange(message, half, message.length));
      RawWebSocket.Frame echoed = nextMessage(deflating);
      JsonObject event = new JsonObject(new String(echoed.rsv() == RSV1 ? RawWebSocket.inflate(echoed.payload()) : echoed.payload(),
        StandardCharsets.UTF_8));
      assertEquals("zip", event.getString("sender"));
      assertEquals(LONG_TEXT, event.getString("text"));
    }
  }

  @Test
  void vertxClientsWithCompressionChatBothWays() {
    deploy(COMPRESSING);
    WebSocketClient compressing = vertx.createWebSocketClient(new WebSocketClientOptions().setTryUsePerMessageCompression(true));
    ChatTestClient ann = ChatTestClient.connect(compressing, port);
    ChatTestClient bob = ChatTestClient.connect(compressing, port);
    assertTrue(String.valueOf(ann.socket().headers().get("Sec-WebSocket-Extensions")).startsWith("permessage-deflate"));
    ann.join("lobby", "ann");
    bob.join("lobby", "bob");
    ann.send(ann.message(LONG_TEXT));
    bob.send(bob.message("hi"));
    for (ChatTestClient client : List.of(ann, bob)) {
      List<JsonObject> messages = client.messages(2);
      assertTrue(messages.stream().anyMatch(m -> LONG_TEXT.equals(m.getString("text"))), "the long one, inflated");
      assertTrue(messages.stream().anyMatch(m -> "hi".equals(m.getString("text"))));
    }
  }

  @Test
  void closesDeflateBombsWith1009TheRoomHearingWhyAndMemoryStaysFlat() throws Exception {
    deploy(COMPRESSING);
    ChatTestClient watcher = connect();
    watcher.join("lobby", "watcher");
    // As large as the frame limit lets it be (the decoder refuses a longer compressed frame from
    // its header): about a thousand times maxMessageSize once inflated.
    byte[] bomb = WebSocketCorpus.bombWithin(ChatOptions.DEFAULT_MAX_MESSAGE_SIZE);
    ServerMemory memory = ServerMemory.thisJvm();
    long before = memory.allocated();
    for (int i = 0; i < BOMBS; i++) {
      try (RawWebSocket bomber = offeringDeflate()) {
        join(bomber, "bomber" + i);
        try {
          bomber.frame(true, RSV1, RawWebSocket.BINARY, bomb);
        } catch (IOException e) {
          // closed while the bomb was still arriving: the close frame is read next
        }
        assertEquals(1009, bomber.awaitClose(), "bomb " + i);
      }
      String nickname = "bomber" + i;
      JsonObject left = watcher.awaitOne(e -> "left".equals(e.getString("type")) && nickname.equals(e.getString("nickname")));
      assertEquals("message too big", left.getString("reason"));
    }
    long after = memory.allocated();
    if (before >= 0 && after >= 0) {
      assertTrue(after - before < WebSocketCorpus.MEMORY_BOUND, "allocated " + (after - before) / 1024 + " KiB refusing "
        + BOMBS + " bombs of " + bomb.length + " bytes, each inflating to " + ChatOptions.DEFAULT_MAX_MESSAGE_SIZE * WebSocketCorpus.BOMB_RATIO
        / (1024 * 1024) + " MiB");
    }
  }

  @Test
  void settingsHaveDefaultsAndRefuseANegativeThreshold() {
    ChatOptions defaults = new ChatOptions();
    assertEquals(false, defaults.compression());
    assertEquals(ChatOptions.DEFAULT_COMPRESSION_THRESHOLD, defaults.compressionThreshold());
    ChatOptions on = ChatOptions.fromJson(COMPRESSING);
    assertTrue(on.compression());
    assertEquals(THRESHOLD, ChatOptions.fromJson(on.toJson()).compressionThreshold());
    InvalidSettingException refused = assertThrows(InvalidSettingException.class,
      () -> ChatOptions.fromJson(new JsonObject().put("compressionThreshold", -1)));
    assertTrue(refused.getMessage().contains("compressionThreshold"), refused.getMessage());
  }

  private RawWebSocket offeringDeflate() throws IOException {
    return RawWebSocket.connect("127.0.0.1", port, RawWebSocket.Request.upgrade("127.0.0.1", port, ChatVerticle.PATH)
      .set("Sec-WebSocket-Extensions", WebSocketCorpus.DEFLATE_OFFER), 0);
  }

  /** Joins the lobby and waits for the connection's own {@code joined}. */
  private static void join(RawWebSocket ws, String nickname) throws IOException {
    ws.text(new JsonObject().put("type", "join").put("room", "lobby").put("nickname", nickname).encode());
    while (true) {
      RawWebSocket.Frame frame = ws.awaitOpcode(RawWebSocket.TEXT);
      JsonObject event = new JsonObject(new String(frame.rsv() == RSV1 ? RawWebSocket.inflate(frame.payload()) : frame.payload(),
        StandardCharsets.UTF_8));
      if ("joined".equals(event.getString("type")) && event.getBoolean("self", false)) {
        return;
      }
    }
  }

  /** The next {@code message} event, as its frame. */
  private static RawWebSocket.Frame nextMessage(RawWebSocket ws) throws IOException {
    while (true) {
      RawWebSocket.Frame frame = ws.awaitOpcode(RawWebSocket.TEXT);
      byte[] payload = frame.rsv() == RSV1 ? RawWebSocket.inflate(frame.payload()) : frame.payload();
      if (new String(payload, StandardCharsets.UTF_8).startsWith("{\"type\":\"message\"")) {
        return frame;
      }
    }
  }
}
