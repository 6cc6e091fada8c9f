package dev.switchboard.chat;

import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.switchboard.chat.ChatTestClient.ofType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Unique nicknames per room, sessions taking a nickname back, idle rooms expiring, stuck client-id claims expiring. */
class ChatRulesTest extends ChatTestBase {

  private static final String SESSION = "0f6f3c1e-5b7a-4b8e-9a51-6f3e2d1c0b9a";
  /** Pace and bound of every poll below. */
  private static final Duration POLL = Duration.ofMillis(100);
  private static final Duration POLL_LIMIT = Duration.ofSeconds(10);

  @BeforeEach
  void deployChat() {
    deploy(new JsonObject().put("historySize", 5).put("rateLimit", 1000).put("rateBurst", 1000)
      .put("roomTtl", "1s").put("claimTtl", "1s"));
  }

  @Test
  void aConnectionWhoseSessionIsTakenOverIsToldAndClosedAndCannotPostAnyMore() {
    ChatTestClient old = connect();
    old.join(join("lobby", "ann").put("session", SESSION));
    ChatTestClient bob = connect();
    bob.join("lobby", "bob");
    ChatTestClient back = connect();
    back.join(join("lobby", "ann").put("session", SESSION));

    JsonObject error = old.awaitOne(ofType("error"));
    assertEquals(ChatProtocol.SESSION_TAKEN, error.getString("code"));
    assertEquals(1000, old.closeCode());
    assertEquals(ChatConnection.SESSION_TAKEN_REASON, old.closeReason());

    // Still ann in the room, through the new connection only: nobody left, and what bob says reaches it once.
    bob.send(bob.message("after the takeover"));
    assertEquals("after the takeover", back.messages(1).get(0).getString("text"));
    assertEquals(0, old.count(ChatTestClient::isMessage), "the old connection hears nothing more");
    assertEquals(0, bob.count(ofType("left")), "the nickname never left the room");
    ChatTestClient cat = connect();
    cat.join("lobby", "cat");
    assertEquals(List.of("ann", "bob", "cat"), cat.awaitOne(ofType("presence")).getJsonArray("members").getList());
  }

  @Test
  void aNicknameIsUniqueInARoomOnly() {
    ChatTestClient ann = connect();
    ann.join("lobby", "ann");
    ChatTestClient other = connect();
    other.send(join("lobby", "ann"));
    JsonObject error = other.awaitOne(ofType("error"));
    assertEquals(ChatProtocol.NICKNAME_TAKEN, error.getString("code"));
    assertEquals(0, other.count(ofType("joined")), "the refused join joins nothing");
    assertFalse(other.isClosed(), "the connection stays");
    other.send(other.message("hello"));
    assertEquals(ChatProtocol.NOT_JOINED, other.await(ofType("error"), 2).get(1).getString("code"));

    // The same nickname in another room is fine; presence lists that room's members only.
    other.join("quiet", "ann");
    assertEquals(List.of("ann"), other.awaitOne(ofType("presence")).getJsonArray("members").getList());
    ChatTestClient bob = connect();
    bob.join("lobby", "bob");
    assertEquals(List.of("ann", "bob"), bob.awaitOne(ofType("presence")).getJsonArray("members").getList());

    // Once ann has left, the nickname is free in the lobby.
    ann.send(new JsonObject().put("type", "leave"));
    ann.awaitOne(e -> "left".equals(e.getString("type")) && e.getBoolean("self", false));
    ChatTestClient third = connect();
    third.join("lobby", "ann");
    assertEquals(List.of("ann", "bob"), third.awaitOne(ofType("presence")).getJsonArray("members").getList());
  }

  @Test
  void aJoinWithTheSameSessionTakesTheNicknameBack() {
    ChatTestClient old = connect();
    old.join(join("lobby", "ann").put("session", SESSION));
    ChatTestClient back = connect();
    back.join(join("lobby", "ann").put("session", SESSION));
    assertEquals(List.of("ann"), back.awaitOne(ofType("presence")).getJsonArray("members").getList());

    ChatTestClient impostor = connect();
    impostor.send(join("lobby", "ann").put("session", "another-session-0123456789"));
    assertEquals(ChatProtocol.NICKNAME_TAKEN, impostor.awaitOne(ofType("error")).getString("code"));

    // The old connection going away later does not take the nickname from the new one.
    ChatTestClient bob = connect();
    bob.join("lobby", "bob");
    old.close();
    old.closeCode();
    bob.send(bob.message("after"));
    back.messages(1);
    assertEquals(0, bob.count(e -> "left".equals(e.getString("type"))), "nobody left: ann is still there");
    ChatTestClient late = connect();
    late.join("lobby", "cat");
    assertEquals(List.of("ann", "bob", "cat"), late.awaitOne(ofType("presence")).getJsonArray("members").getList());
  }

  @Test
  void aShortSessionIsAnInvalidField() {
    ChatTestClient ann = connect();
    ann.send(join("lobby", "ann").put("session", "short"));
    assertEquals(ChatProtocol.INVALID_FIELD, ann.awaitOne(ofType("error")).getString("code"));
  }

  @Test
  void anIdleRoomLosesItsHistoryButARoomWithMembersKeepsIt() {
    AsyncMap<String, JsonObject> history = TestKit.awaitUnchecked(vertx.sharedData().getAsyncMap(ChatStore.HISTORY), ChatTestClient.WAIT);
    AsyncMap<String, Long> index = TestKit.awaitUnchecked(vertx.sharedData().getAsyncMap(ChatStore.ROOM_INDEX), ChatTestClient.WAIT);
    ChatTestClient ann = connect();
    ann.join("old", "ann");
    ann.send(ann.message("one")).send(ann.message("two"));
    ann.messages(2);
    ChatTestClient bob = connect();
    bob.join("kept", "bob");
    bob.send(bob.message("stays"));
    bob.messages(1);
    ann.send(new JsonObject().put("type", "leave"));
    ann.awaitOne(e -> "left".equals(e.getString("type")) && e.getBoolean("self", false));
    assertNotNull(TestKit.awaitUnchecked(history.get("old#2"), ChatTestClient.WAIT));

    awaitDropped(history, "old#2"); // the idle room 'old' is dropped
    assertNull(TestKit.awaitUnchecked(history.get("old#1"), ChatTestClient.WAIT));
    assertNull(TestKit.awaitUnchecked(index.get("old"), ChatTestClient.WAIT), "gone from the room index");

    // One more room goes idle and is dropped: by then 'kept' has been quiet for longer than roomTtl too.
    ChatTestClient dan = connect();
    dan.join("later", "dan");
    dan.send(dan.message("brief"));
    dan.messages(1);
    dan.close();
    awaitDropped(history, "later#1"); // the idle room 'later' is dropped
    assertNotNull(TestKit.awaitUnchecked(history.get("kept#1"), ChatTestClient.WAIT), "a room with a member keeps its history, however quiet");

    // Coming back: no history, and numbering goes on (a client's `since` never points at a reused number).
    ChatTestClient cat = connect();
    JsonObject joined = cat.join(join("old", "cat").put("since", 0));
    assertEquals(2L, joined.getLong("seq"));
    cat.send(cat.message("three"));
    assertEquals(3L, cat.messages(1).get(0).getLong("seq"));
    assertEquals(1, cat.count(ChatTestClient::isMessage), "no history replayed");
  }

  @Test
  void aClaimWhoseNodeDiedExpiresAndTheResendIsPosted() {
    // What a node that died between claiming and numbering leaves behind: a claim without a number.
    AsyncMap<String, Long> ids = unnumberedClaim("c-stuck", 1000);
    ChatTestClient ann = annSends("finally", "c-stuck");
    JsonObject ack = ann.awaitOne(ofType("ack"));
    assertEquals("c-stuck", ack.getString("clientId"));
    assertFalse(ack.getBoolean("duplicate", false), "posted, not taken for a duplicate");
    assertEquals(1L, ack.getLong("seq"));
    assertEquals("finally", ann.messages(1).get(0).getString("text"));
    assertEquals(1L, TestKit.awaitUnchecked(ids.get("lobby#ann#c-stuck"), ChatTestClient.WAIT));

    // A resend now is a duplicate, acknowledged with the same number and not posted again.
    ann.send(ann.message("finally").put("clientId", "c-stuck"));
    JsonObject again = ann.await(ofType("ack"), 2).get(1);
    assertTrue(again.getBoolean("duplicate"));
    assertEquals(1L, again.getLong("seq"));
    ann.send(ann.message("next"));
    assertEquals(List.of(1L, 2L), ann.messages(2).stream().map(e -> e.getLong("seq")).toList());
  }

  @Test
  void aResendWhoseFirstCopyStaysUnnumberedIsToldToTryAgain() {
    // A first copy still being numbered for longer than a resend waits (its claim outlives the wait).
    unnumberedClaim("c-slow", 60_000);
    ChatTestClient ann = annSends("wait", "c-slow");
    JsonObject error = ann.awaitOne(ofType("error"));
    assertEquals("unavailable", error.getString("code"));
    assertTrue(error.getString("message").contains("c-slow"), error.encode());
    assertEquals(0, ann.count(ChatTestClient::isMessage), "not posted");
    assertEquals(0, ann.count(e -> "ack".equals(e.getString("type"))), "not acknowledged");
  }

  /** Ann's client id {@code clientId} in the lobby, claimed for {@code ttlMillis} and never numbered; the claims' map. */
  private AsyncMap<String, Long> unnumberedClaim(String clientId, long ttlMillis) {
    AsyncMap<String, Long> ids = TestKit.awaitUnchecked(vertx.sharedData().getAsyncMap(ChatStore.CLIENT_IDS), ChatTestClient.WAIT);
    TestKit.awaitUnchecked(ids.put("lobby#ann#" + clientId, -1L, ttlMillis), ChatTestClient.WAIT); // a claim: negative until numbered
    return ids;
  }

  /** Ann joins the lobby and sends {@code text} with {@code clientId}. */
  private ChatTestClient annSends(String text, String clientId) {
    ChatTestClient ann = connect();
    ann.join("lobby", "ann");
    ann.send(ann.message(text).put("clientId", clientId));
    return ann;
  }

  private static JsonObject join(String room, String nickname) {
    return new JsonObject().put("type", "join").put("room", room).put("nickname", nickname);
  }

  /** Waits until {@code key} is gone from {@code history}, asking every {@link #POLL} for at most {@link #POLL_LIMIT}. */
  private void awaitDropped(AsyncMap<String, JsonObject> history, String key) {
    TestKit.awaitUnchecked(TestKit.poll(vertx, () -> history.get(key).map(kept -> kept == null ? "dropped" : key + " still kept"),
      "dropped"::equals, POLL, POLL_LIMIT), ChatTestClient.WAIT);
  }
}
