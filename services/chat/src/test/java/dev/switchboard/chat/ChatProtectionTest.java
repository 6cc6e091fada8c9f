package dev.switchboard.chat;

import dev.switchboard.shared.testkit.RawWebSocket;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;

import static dev.switchboard.chat.ChatTestClient.ofType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every protection of the chat, each with the answer it gives: an error event or a close code. */
class ChatProtectionTest extends ChatTestBase {

  @Test
  void frameLargerThanMaxMessageSizeIsClosedWith1009() throws Exception {
    deploy(new JsonObject().put("maxMessageSize", 1024));
    try (RawWebSocket raw = raw()) {
      raw.frame(true, 0, RawWebSocket.TEXT, new byte[2000]);
      assertEquals(1009, raw.awaitClose());
    }
  }

  @Test
  void fragmentedMessageLargerThanMaxMessageSizeIsClosedWith1009() throws Exception {
    deploy(new JsonObject().put("maxMessageSize", 1024));
    try (RawWebSocket raw = raw()) {
      raw.frame(false, 0, RawWebSocket.TEXT, new byte[600]);
      raw.frame(true, 0, RawWebSocket.CONTINUATION, new byte[600]);
      assertEquals(1009, raw.awaitClose());
    }
  }

  @Test
  void fragmentedMessageWithinTheLimitIsOneCommand() throws Exception {
    deploy(new JsonObject());
    try (RawWebSocket raw = raw()) {
      byte[] join = "{\"type\":\"join\",\"room\":\"lobby\",\"nickname\":\"Zoë\"}".getBytes(StandardCharsets.UTF_8);
      int split = new String(join, StandardCharsets.UTF_8).indexOf("ë") + 1; // inside the two bytes of ë
      raw.frame(false, 0, RawWebSocket.TEXT, java.util.Arrays.copyOfRange(join, 0, split));
      raw.frame(true, 0, RawWebSocket.CONTINUATION, java.util.Arrays.copyOfRange(join, split, join.length));
      JsonObject joined = new JsonObject(raw.awaitOpcode(RawWebSocket.TEXT).text());
      assertEquals("joined", joined.getString("type"));
      assertEquals("Zoë", joined.getString("nickname"));
    }
  }

  @Test
  void guardRefusalsCloseWithTheirCodeAndTheRoomHearsWhy() throws Exception {
    deploy(new JsonObject().put("maxMessageSize", 1024).put("pingRate", 1).put("pingBurst", 3));
    ChatTestClient bob = connect();
    bob.join("lobby", "bob");
    record Refused(String nickname, int code, String reason, byte[] frames) {
    }
    byte[] tooManyPings = new byte[0];
    for (int i = 0; i < 4; i++) {
      tooManyPings = concat(tooManyPings, RawWebSocket.encode(true, 0, RawWebSocket.PING, new byte[] {(byte) i}, true));
    }
    List<Refused> cases = List.of(
      new Refused("utf", 1007, "invalid UTF-8", RawWebSocket.encode(true, 0, RawWebSocket.TEXT, new byte[] {'"', (byte) 0xC3, 0x28, '"'}, true)),
      new Refused("big", 1009, "message too big", concat(RawWebSocket.encode(false, 0, RawWebSocket.TEXT, new byte[600], true),
        RawWebSocket.encode(true, 0, RawWebSocket.CONTINUATION, new byte[600], true))),
      new Refused("pinger", 1008, "rate limit", tooManyPings),
      new Refused("closer", 1002, "disconnected", RawWebSocket.encode(true, 0, RawWebSocket.CLOSE, RawWebSocket.closePayload(5000), true)));
    for (Refused refused : cases) {
      try (RawWebSocket raw = raw()) {
        raw.text(new JsonObject().put("type", "join").put("room", "lobby").put("nickname", refused.nickname()).encode());
        assertEquals("joined", new JsonObject(raw.awaitOpcode(RawWebSocket.TEXT).text()).getString("type"));
        raw.raw(refused.frames());
        assertEquals(refused.code(), raw.awaitClose(), refused.nickname());
      }
      JsonObject left = bob.awaitOne(e -> "left".equals(e.getString("type")) && refused.nickname().equals(e.getString("nickname")));
      assertEquals(refused.reason(), left.getString("reason"), refused.nickname());
    }
  }

  /**
   * The reported flood: a client that never reads sends 400,000 pings. Past the ping rate it is
   * closed at once; with pings allowed at any rate, the pongs count toward {@code writeQueueMax}
   * and it is cut off as too slow. Either way the server stops reading it long before the flood
   * ends: it holds at most the write queue and the kernel's buffers, not 50 MB of pongs.
   */
  @Test
  void aNonReadingClientFloodingPingsIsCutOffBeforeItsPongsPileUp() throws Exception {
    int writeQueueMax = 16 * 1024;
    for (JsonObject limits : List.of(new JsonObject(), new JsonObject().put("pingRate", 1_000_000).put("pingBurst", 1_000_000))) {
      deploy(limits.copy().put("writeQueueMax", writeQueueMax));
      ChatTestClient bob = connect();
      bob.join("lobby", "bob");
      boolean rateLimited = limits.isEmpty();
      String nickname = rateLimited ? "pinger" : "flooder";
      int flood = 400_000;
      int batch = 256;
      byte[] pings = new byte[0];
      for (int i = 0; i < batch; i++) {
        pings = concat(pings, RawWebSocket.encode(true, 0, RawWebSocket.PING, new byte[125], true));
      }
      // What the server could be made to hold before it must stop reading: its queue and the kernel buffers of both ends.
      long pongBytes = 127;
      long bound = (writeQueueMax + 16L * 1024 * 1024) / pongBytes;
      long sent = 0;
      boolean dropped = false;
      try (RawWebSocket flooder = nonReader(4096)) {
        flooder.text(new JsonObject().put("type", "join").put("room", "lobby").put("nickname", nickname).encode());
        bob.awaitOne(e -> "joined".equals(e.getString("type")) && nickname.equals(e.getString("nickname")));
        while (sent < flood) {
          try {
            flooder.raw(pings);
          } catch (java.io.IOException e) {
            assertFalse(flooder.writeTimedOut(), "the server stopped reading the pings but kept the connection");
            dropped = true;
            break;
          }
          sent += batch;
        }
      }
      assertTrue(dropped, nickname + ": still connected after " + sent + " pings never read");
      assertTrue(sent <= bound, nickname + ": " + sent + " pings taken before the cut, more than " + bound);
      JsonObject left = bob.awaitOne(e -> "left".equals(e.getString("type")) && nickname.equals(e.getString("nickname")));
      assertEquals(rateLimited ? "rate limit" : "too slow", left.getString("reason"), nickname);
      closeVertx();
      startVertx();
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }

  @Test
  void rateLimitAnswersErrorsThenCloses1008() {
    deploy(new JsonObject().put("rateLimit", 1).put("rateBurst", 3).put("rateStrikes", 3));
    ChatTestClient ann = connect();
    for (int i = 0; i < 6; i++) {
      ann.sendText("{\"type\":\"typing\"}");
    }
    assertEquals(1008, ann.closeCode());
    List<JsonObject> errors = ann.events().stream().filter(ofType("error")).toList();
    // 3 typing frames pass (not joined: errors), 2 are refused with rate_limited, the 3rd strike closes.
    assertEquals(List.of("not_joined", "not_joined", "not_joined", "rate_limited", "rate_limited"),
      errors.stream().map(e -> e.getString("code")).toList());
  }

  @Test
  void silentClientIsClosedWith1001WhileAnAnsweringOneStays() throws Exception {
    deploy(new JsonObject().put("heartbeatInterval", "100ms").put("idleTimeout", "400ms"));
    ChatTestClient answering = connect();
    try (RawWebSocket silent = raw()) {
      assertEquals(RawWebSocket.PING, silent.awaitOpcode(RawWebSocket.PING).opcode());
      assertEquals(1001, silent.awaitClose());
    }
    answering.awaitPings(8);
    assertFalse(answering.isClosed(), "a client answering pings is not idle");
  }

  @Test
  void connectionsBeyondTheLimitAreRefusedWith503() throws Exception {
    deploy(new JsonObject().put("maxConnections", 2));
    ChatTestClient a = connect();
    ChatTestClient b = connect();
    ExecutionException refused = assertThrows(ExecutionException.class, () -> TestKit.await(client.connect(new WebSocketConnectOptions()
      .setHost("127.0.0.1").setPort(port).setURI(ChatVerticle.PATH)), Duration.ofSeconds(10)));
    assertEquals(503, assertInstanceOf(UpgradeRejectedException.class, refused.getCause()).getStatus());
    a.close();
    assertTrue(a.closeCode() > 0);
    // The slot is free again once the server has seen the close.
    TestKit.awaitPoll(() -> {
      try {
        return connect();
      } catch (AssertionError e) {
        return null; // not yet released
      }
    }, Objects::nonNull, Duration.ofMillis(20), ChatTestClient.WAIT, "a slot frees when a connection closes");
    b.close();
  }

  @Test
  void plainHttpToTheWebSocketPathIsAnswered426() {
    deploy(new JsonObject());
    var web = io.vertx.ext.web.client.WebClient.create(vertx);
    var response = TestKit.awaitUnchecked(web.get(port, "127.0.0.1", ChatVerticle.PATH).send(), ChatTestClient.WAIT);
    assertEquals(426, response.statusCode());
    assertEquals("WebSocket upgrade required", response.bodyAsJsonObject().getString("error"));
    var post = TestKit.awaitUnchecked(web.post(port, "127.0.0.1", ChatVerticle.PATH).send(), ChatTestClient.WAIT);
    assertEquals(405, post.statusCode());
    assertEquals("GET", post.getHeader("allow"));
  }

  @Test
  void clientThatStopsReadingIsCutOffWhileOthersReceiveEverything() throws Exception {
    deploy(new JsonObject().put("writeQueueMax", 16 * 1024).put("maxTextLength", 8000)
      .put("rateLimit", 100_000).put("rateBurst", 100_000));
    ChatTestClient ann = connect();
    ChatTestClient bob = connect();
    ann.join("lobby", "ann");
    bob.join("lobby", "bob");
    try (RawWebSocket slow = nonReader(4096)) {
      slow.text("{\"type\":\"join\",\"room\":\"lobby\",\"nickname\":\"slow\"}");
      bob.awaitOne(e -> "joined".equals(e.getString("type")) && "slow".equals(e.getString("nickname")));
      String text = "x".repeat(8000);
      int sent = 0;
      // Bounded: the kernel buffers a few MiB at most before the server's own queue fills.
      while (sent < 4000 && bob.count(e -> "left".equals(e.getString("type"))) == 0) {
        for (int i = 0; i < 50; i++) {
          ann.send(ann.message(text));
        }
        sent += 50;
        bob.messages(sent);
      }
      JsonObject left = bob.awaitOne(ofType("left"));
      assertEquals("slow", left.getString("nickname"));
      assertEquals("too slow", left.getString("reason"));
      for (int i = 0; i < 50; i++) {
        ann.send(ann.message("after " + i));
      }
      List<JsonObject> got = bob.messages(sent + 50);
      for (int i = 0; i < got.size(); i++) {
        assertEquals(i + 1, got.get(i).getLong("seq"));
      }
    }
  }
}
