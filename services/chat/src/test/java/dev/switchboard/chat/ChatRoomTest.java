package dev.switchboard.chat;

import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.LongStream;

import static dev.switchboard.chat.ChatTestClient.ofType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rooms on one node (two verticle instances): join, presence, order, ack, dedupe, history. */
class ChatRoomTest extends ChatTestBase {

  @BeforeEach
  void deployChat() {
    deploy(new JsonObject().put("historySize", 5).put("rateLimit", 1000).put("rateBurst", 1000));
  }

  @Test
  void joinAnswersJoinedThenPresenceAndOthersSeeTheJoin() {
    ChatTestClient ann = connect();
    JsonObject joined = ann.join("lobby", "ann");
    assertEquals(true, joined.getBoolean("self"));
    assertEquals(0L, joined.getLong("seq"));
    assertEquals(List.of("ann"), ann.awaitOne(ofType("presence")).getJsonArray("members").getList());

    ChatTestClient bob = connect();
    bob.join("lobby", "bob");
    assertEquals(List.of("ann", "bob"), bob.awaitOne(ofType("presence")).getJsonArray("members").getList());
    JsonObject seen = ann.awaitOne(e -> "joined".equals(e.getString("type")) && "bob".equals(e.getString("nickname")));
    assertEquals("lobby", seen.getString("room"));
    assertFalse(seen.containsKey("from"), "internal fields stay internal");
    assertEquals(0, bob.count(e -> "joined".equals(e.getString("type")) && !e.getBoolean("self", false)), "no echo of one's own join");
  }

  @Test
  void aSinceThatIsNoSequenceNumberIsRefusedWithBadSinceAndJoinsNothing() {
    ChatTestClient ann = connect();
    for (String since : List.of("1e400", "12345678901234567890", "9223372036854775808", "-1", "2.5")) {
      ann.sendText("{\"type\":\"join\",\"room\":\"lobby\",\"nickname\":\"ann\",\"since\":" + since + "}");
    }
    List<JsonObject> errors = ann.await(ofType("error"), 5);
    assertEquals(List.of("bad_since", "bad_since", "bad_since", "bad_since", "bad_since"), errors.stream().map(e -> e.getString("code")).toList());
    assertEquals(0, ann.count(ofType("joined")));
    JsonObject joined = ann.join(new JsonObject().put("type", "join").put("room", "lobby").put("nickname", "ann").put("since", Long.MAX_VALUE));
    assertEquals(0L, joined.getLong("seq"));
  }

  @Test
  void anErrorAboutAMessageNamesItsClientId() {
    ChatTestClient ann = connect();
    ann.send(ann.message("too early").put("clientId", "early-1"));
    JsonObject error = ann.awaitOne(ofType("error"));
    assertEquals(ChatProtocol.NOT_JOINED, error.getString("code"));
    assertEquals("early-1", error.getString("clientId"));
  }

  @Test
  void everyMemberReceivesMessagesInOneSequence() {
    ChatTestClient ann = connect();
    ChatTestClient bob = connect();
    ann.join("lobby", "ann");
    bob.join("lobby", "bob");
    for (int i = 0; i < 20; i++) {
      (i % 2 == 0 ? ann : bob).send(ann.message("m" + i));
    }
    List<JsonObject> atAnn = ann.messages(20);
    List<JsonObject> atBob = bob.messages(20);
    assertEquals(LongStream.rangeClosed(1, 20).boxed().toList(), atAnn.stream().map(e -> e.getLong("seq")).toList());
    assertEquals(atAnn, atBob);
    // Two connections race to the counter: which of m0 (ann) and m1 (bob) is #1 is not defined.
    JsonObject first = atAnn.stream().filter(e -> "m0".equals(e.getString("text"))).findFirst().orElseThrow();
    assertEquals("lobby", first.getString("room"));
    assertEquals("ann", first.getString("sender"));
    List<String> fromAnn = atAnn.stream().filter(e -> "ann".equals(e.getString("sender"))).map(e -> e.getString("text")).toList();
    assertEquals(List.of("m0", "m2", "m4", "m6", "m8", "m10", "m12", "m14", "m16", "m18"), fromAnn, "each sender's messages in the order sent");
    assertNotNull(first.getString("id"));
    assertTrue(first.getLong("time") > 0);
  }

  @Test
  void roomsAreSeparate() {
    ChatTestClient ann = connect();
    ChatTestClient bob = connect();
    ann.join("lobby", "ann");
    bob.join("kitchen", "bob");
    ann.send(ann.message("for the lobby"));
    bob.send(bob.message("for the kitchen"));
    assertEquals("for the kitchen", bob.messages(1).get(0).getString("text"));
    assertEquals("for the lobby", ann.messages(1).get(0).getString("text"));
    assertEquals(1L, bob.messages(1).get(0).getLong("seq"), "one sequence per room");
    assertEquals(1, ann.count(ChatTestClient::isMessage));
  }

  @Test
  void clientIdIsAckedWithItsSequenceAndAResendIsNotDeliveredTwice() {
    ChatTestClient ann = connect();
    ChatTestClient bob = connect();
    ann.join("lobby", "ann");
    bob.join("lobby", "bob");
    ann.send(ann.message("once").put("clientId", "c-1"));
    JsonObject ack = ann.awaitOne(ofType("ack"));
    assertEquals("c-1", ack.getString("clientId"));
    assertEquals(1L, ack.getLong("seq"));
    ann.send(ann.message("once").put("clientId", "c-1"));
    JsonObject again = ann.await(ofType("ack"), 2).get(1);
    assertEquals(1L, again.getLong("seq"));
    assertEquals(true, again.getBoolean("duplicate"));
    ann.send(ann.message("after"));
    List<JsonObject> atBob = bob.messages(2);
    assertEquals(List.of("once", "after"), atBob.stream().map(e -> e.getString("text")).toList());
    assertEquals(List.of(1L, 2L), atBob.stream().map(e -> e.getLong("seq")).toList());
    assertEquals(atBob.get(0).getString("id"), ack.getString("id"));
    assertFalse(again.containsKey("id"));
  }

  @Test
  void resentClientIdAfterReconnectIsNotDeliveredTwice() {
    ChatTestClient ann = connect();
    ann.join("lobby", "ann");
    ann.send(ann.message("hello").put("clientId", "c-7"));
    ann.awaitOne(ofType("ack"));
    ann.close();
    ChatTestClient again = connect();
    again.join("lobby", "ann");
    again.send(again.message("hello").put("clientId", "c-7"));
    assertEquals(true, again.awaitOne(ofType("ack")).getBoolean("duplicate"));
    again.send(again.message("next"));
    assertEquals(List.of("hello", "next"), again.messages(2).stream().map(e -> e.getString("text")).toList());
  }

  @Test
  void resendWhileTheFirstCopyIsStillBeingNumberedIsAckedOnceItHasItsNumber() {
    ChatTestClient ann = connect();
    ann.join("lobby", "ann");
    // As if the first copy were being numbered on another node right now.
    AsyncMap<String, Long> ids = TestKit.awaitUnchecked(vertx.sharedData().getAsyncMap(ChatStore.CLIENT_IDS), ChatTestClient.WAIT);
    TestKit.awaitUnchecked(ids.put("lobby#ann#c-9", 0L), ChatTestClient.WAIT);
    ann.send(ann.message("again").put("clientId", "c-9"));
    vertx.setTimer(200, id -> ids.put("lobby#ann#c-9", 42L));
    JsonObject ack = ann.awaitOne(ofType("ack"));
    assertEquals(42L, ack.getLong("seq"));
    assertEquals(true, ack.getBoolean("duplicate"));
    assertEquals(0, ann.count(ChatTestClient::isMessage), "the resend itself is not posted");
  }

  @Test
  void joinReplaysTheLastMessagesThenContinuesLive() {
    ChatTestClient ann = connect();
    ann.join("lobby", "ann");
    for (int i = 1; i <= 8; i++) {
      ann.send(ann.message("m" + i));
    }
    ann.messages(8);
    ChatTestClient bob = connect();
    JsonObject joined = bob.join("lobby", "bob");
    assertEquals(8L, joined.getLong("seq"));
    assertEquals(List.of(4L, 5L, 6L, 7L, 8L), bob.messages(5).stream().map(e -> e.getLong("seq")).toList(), "historySize 5");
    ann.send(ann.message("m9"));
    assertEquals(9L, bob.messages(6).get(5).getLong("seq"));
  }

  @Test
  void joinWithSinceReplaysExactlyTheMissedMessages() {
    ChatTestClient ann = connect();
    ann.join("lobby", "ann");
    for (int i = 1; i <= 6; i++) {
      ann.send(ann.message("m" + i));
    }
    ann.messages(6);
    ChatTestClient bob = connect();
    bob.join(new JsonObject().put("type", "join").put("room", "lobby").put("nickname", "bob").put("since", 4));
    ann.send(ann.message("m7"));
    List<JsonObject> got = bob.messages(3);
    assertEquals(List.of(5L, 6L, 7L), got.stream().map(e -> e.getLong("seq")).toList());
    assertEquals(3, bob.count(ChatTestClient::isMessage));
  }

  @Test
  void sinceOlderThanHistorySaysTruncated() {
    ChatTestClient ann = connect();
    ann.join("lobby", "ann");
    for (int i = 1; i <= 8; i++) {
      ann.send(ann.message("m" + i));
    }
    ann.messages(8);
    ChatTestClient bob = connect();
    JsonObject joined = bob.join(new JsonObject().put("type", "join").put("room", "lobby").put("nickname", "bob").put("since", 1));
    assertEquals(true, joined.getBoolean("truncated"));
    assertEquals(List.of(4L, 5L, 6L, 7L, 8L), bob.messages(5).stream().map(e -> e.getLong("seq")).toList());
  }

  @Test
  void leaveAndDisconnectAreAnnouncedAndPresenceFollows() {
    ChatTestClient ann = connect();
    ChatTestClient bob = connect();
    ChatTestClient cat = connect();
    ann.join("lobby", "ann");
    bob.join("lobby", "bob");
    cat.join("lobby", "cat");
    bob.send(new JsonObject().put("type", "leave"));
    assertEquals(true, bob.awaitOne(ofType("left")).getBoolean("self"));
    JsonObject left = ann.awaitOne(e -> "left".equals(e.getString("type")) && "bob".equals(e.getString("nickname")));
    assertEquals("left", left.getString("reason"));
    cat.close();
    JsonObject gone = ann.awaitOne(e -> "left".equals(e.getString("type")) && "cat".equals(e.getString("nickname")));
    assertEquals("disconnected", gone.getString("reason"));
    ChatTestClient dan = connect();
    dan.join("lobby", "dan");
    assertEquals(List.of("ann", "dan"), dan.awaitOne(ofType("presence")).getJsonArray("members").getList());
    bob.send(bob.message("after leaving"));
    assertEquals("not_joined", bob.awaitOne(ofType("error")).getString("code"));
  }

  @Test
  void typingReachesOtherMembersOnly() {
    ChatTestClient ann = connect();
    ChatTestClient bob = connect();
    ann.join("lobby", "ann");
    bob.join("lobby", "bob");
    ann.send(new JsonObject().put("type", "typing"));
    assertEquals("ann", bob.awaitOne(ofType("typing")).getString("nickname"));
    ann.send(ann.message("x"));
    ann.messages(1);
    assertEquals(0, ann.count(ofType("typing")));
  }

  @Test
  void badFramesGetAnErrorAndTheConnectionStays() {
    ChatTestClient ann = connect();
    ann.sendText("{not json");
    assertEquals("invalid_json", ann.awaitOne(ofType("error")).getString("code"));
    ann.sendText("[1,2]");
    ann.send(new JsonObject().put("type", "dance"));
    ann.send(new JsonObject().put("type", "join").put("room", "Lobby!").put("nickname", "ann"));
    ann.send(new JsonObject().put("type", "join").put("room", "lobby").put("nickname", " ann"));
    ann.send(new JsonObject().put("type", "message").put("text", "before joining"));
    ann.await(ofType("error"), 6);
    assertEquals(List.of("invalid_json", "invalid_json", "unknown_type", "invalid_field", "invalid_field", "not_joined"),
      ann.events().stream().filter(ofType("error")).map(e -> e.getString("code")).toList());
    ann.join("lobby", "ann");
    ann.send(ann.message("still here"));
    assertEquals("still here", ann.messages(1).get(0).getString("text"));
    assertFalse(ann.isClosed());
  }

  @Test
  void binaryMessagesGetAnError() {
    ChatTestClient ann = connect();
    TestKit.awaitUnchecked(ann.socket().writeBinaryMessage(io.vertx.core.buffer.Buffer.buffer("{}")), ChatTestClient.WAIT);
    assertEquals("invalid_json", ann.awaitOne(ofType("error")).getString("code"));
    assertFalse(ann.isClosed());
  }
}
