package dev.switchboard.chat;

import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.switchboard.chat.ChatTestClient.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The receiving side of a room, fed straight from the bus as other nodes would feed it: messages
 * arriving out of order are handed out by sequence number, a missing number is filled from
 * history or skipped after {@code gapTimeout}.
 */
class ChatOrderingTest extends ChatTestBase {

  private ChatTestClient ann;

  @BeforeEach
  void joinARoom() {
    deploy(new JsonObject().put("gapTimeout", "200ms"));
    ann = connect();
    ann.join("lobby", "ann");
  }

  private void publish(long seq, String text) {
    vertx.eventBus().publish(ChatVerticle.INTERNAL_ROOM_PREFIX + "lobby", message(seq, text));
  }

  private static JsonObject message(long seq, String text) {
    return ChatProtocol.message("lobby", "remote", text, seq, "id-" + seq, System.currentTimeMillis());
  }

  private List<Long> seqs(int n) {
    return ann.messages(n).stream().map(e -> e.getLong("seq")).toList();
  }

  @Test
  void messagesArrivingOutOfOrderAreHandedOutBySequence() {
    publish(3, "c");
    publish(2, "b");
    publish(1, "a");
    assertEquals(List.of(1L, 2L, 3L), seqs(3));
    assertEquals(List.of("a", "b", "c"), ann.messages(3).stream().map(e -> e.getString("text")).toList());
  }

  @Test
  void duplicatesAreDropped() {
    publish(1, "a");
    publish(1, "a");
    publish(2, "b");
    assertEquals(List.of(1L, 2L), seqs(2));
    publish(3, "c");
    assertEquals(List.of(1L, 2L, 3L), seqs(3));
  }

  @Test
  void aNumberThatNeverArrivesIsSkippedAfterTheGapTimeout() {
    publish(1, "a");
    publish(3, "c");
    publish(4, "d");
    assertEquals(List.of(1L, 3L, 4L), seqs(3));
  }

  @Test
  void aNumberMissingOnTheBusIsFilledFromHistory() {
    publish(1, "a");
    AsyncMap<String, JsonObject> history = TestKit.awaitUnchecked(vertx.sharedData().getAsyncMap(ChatStore.HISTORY), WAIT);
    TestKit.awaitUnchecked(history.put("lobby#2", message(2, "kept but not heard")), WAIT);
    publish(3, "c");
    List<JsonObject> got = ann.messages(3);
    assertEquals(List.of(1L, 2L, 3L), got.stream().map(e -> e.getLong("seq")).toList());
    assertEquals("kept but not heard", got.get(1).getString("text"));
  }
}
