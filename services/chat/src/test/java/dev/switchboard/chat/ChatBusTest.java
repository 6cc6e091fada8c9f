package dev.switchboard.chat;

import dev.switchboard.shared.bus.Addresses;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.switchboard.chat.ChatTestClient.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat on the event bus: {@code chat.rooms} and {@code chat.room.<name>}. */
class ChatBusTest extends ChatTestBase {

  @BeforeEach
  void deployChat() {
    deploy(new JsonObject());
  }

  @Test
  void roomsListsEveryRoomWithItsMembersAndLastMessage() {
    ChatTestClient ann = connect();
    ChatTestClient bob = connect();
    ChatTestClient cat = connect();
    ann.join("lobby", "ann");
    bob.join("lobby", "bob");
    cat.join("quiet", "cat");
    ann.send(ann.message("first"));
    bob.messages(1);
    bob.send(bob.message("second"));
    ann.messages(2);
    JsonObject reply = TestKit.awaitUnchecked(vertx.eventBus().<JsonObject>request(Addresses.CHAT_ROOMS, new JsonObject()), WAIT).body();
    JsonArray rooms = reply.getJsonArray("rooms");
    assertEquals(2, rooms.size());
    JsonObject lobby = rooms.getJsonObject(0);
    assertEquals("lobby", lobby.getString("room"));
    assertEquals(2, lobby.getInteger("members"));
    assertEquals(2L, lobby.getLong("lastSeq"));
    assertEquals("second", lobby.getJsonObject("last").getString("text"));
    assertEquals("bob", lobby.getJsonObject("last").getString("sender"));
    JsonObject quiet = rooms.getJsonObject(1);
    assertEquals("quiet", quiet.getString("room"));
    assertEquals(1, quiet.getInteger("members"));
    assertNull(quiet.getJsonObject("last"));
  }

  @Test
  void roomEventsArePublishedForBusListenersAsTheDocumentedJsonOnly() {
    List<JsonObject> heard = new CopyOnWriteArrayList<>();
    List<String> headers = new CopyOnWriteArrayList<>();
    Promise<Void> gotLeft = Promise.promise();
    MessageConsumer<JsonObject> listener = vertx.eventBus().consumer(Addresses.CHAT_ROOM_PREFIX + "lobby", m -> {
      heard.add(m.body());
      m.headers().names().forEach(headers::add);
      if ("left".equals(m.body().getString("type"))) {
        gotLeft.tryComplete();
      }
    });
    TestKit.awaitUnchecked(listener.completion(), WAIT);
    ChatTestClient ann = connect();
    ChatTestClient bob = connect();
    ann.join("lobby", "ann");
    bob.join("lobby", "bob");
    ann.send(new JsonObject().put("type", "typing"));
    bob.awaitOne(ChatTestClient.ofType("typing"));
    ann.send(ann.message("hello bus"));
    bob.messages(1);
    bob.send(new JsonObject().put("type", "leave"));
    TestKit.awaitUnchecked(gotLeft.future(), WAIT);
    assertEquals(List.of("joined", "joined", "typing", "message", "left"), heard.stream().map(e -> e.getString("type")).toList());
    JsonObject message = heard.get(3);
    assertEquals("hello bus", message.getString("text"));
    assertEquals(1L, message.getLong("seq"));
    // Exactly the fields the README documents: nothing of the cluster's own (no member id, no connection number).
    assertEquals(Set.of("type", "room", "nickname", "time"), heard.get(0).fieldNames());
    assertEquals(Set.of("type", "room", "nickname"), heard.get(2).fieldNames());
    assertEquals(Set.of("type", "room", "sender", "text", "time", "seq", "id"), message.fieldNames());
    assertEquals(Set.of("type", "room", "nickname", "time", "reason"), heard.get(4).fieldNames());
    assertEquals(List.of(), headers, "no headers");
  }

  @Test
  void aPostFromTheBusIsNumberedKeptAndDeliveredAsASystemMessage() {
    ChatTestClient ann = connect();
    ann.join("lobby", "ann");
    ann.send(ann.message("before"));
    ann.messages(1);
    JsonObject reply = post(new JsonObject().put("room", "lobby").put("sender", "deploy-bot").put("text", "v2 is out"));
    assertEquals("lobby", reply.getString("room"));
    assertEquals(2L, reply.getLong("seq"));
    JsonObject live = ann.messages(2).get(1);
    assertEquals("deploy-bot", live.getString("sender"));
    assertEquals("v2 is out", live.getString("text"));
    assertEquals(2L, live.getLong("seq"));
    assertEquals(reply.getString("id"), live.getString("id"));
    assertEquals(true, live.getBoolean("system"));
    assertEquals(Set.of("type", "room", "sender", "text", "time", "seq", "id", "system"), live.fieldNames());
    ann.send(ann.message("after"));
    assertEquals(3L, ann.messages(3).get(2).getLong("seq"), "numbered in the same sequence as the room's other messages");

    ChatTestClient bob = connect();
    bob.join("lobby", "bob");
    List<JsonObject> history = bob.messages(3);
    assertEquals(live, history.get(1), "kept in history as delivered");
  }

  @Test
  void aPostToARoomWithoutMembersIsKeptForTheNextJoiner() {
    assertEquals(1L, post(new JsonObject().put("room", "empty").put("sender", "cron").put("text", "nightly run done")).getLong("seq"));
    ChatTestClient ann = connect();
    ann.join("empty", "ann");
    JsonObject kept = ann.messages(1).get(0);
    assertEquals("nightly run done", kept.getString("text"));
    assertEquals(true, kept.getBoolean("system"));
  }

  @Test
  void aClientCannotMarkItsOwnMessageAsSystem() {
    ChatTestClient ann = connect();
    ann.join("lobby", "deploy-bot");
    ann.send(ann.message("trust me").put("system", true));
    JsonObject message = ann.messages(1).get(0);
    assertEquals("deploy-bot", message.getString("sender"));
    assertFalse(message.containsKey("system"));
  }

  @Test
  void aBadPostFailsWith400NamingWhatIsWrongAndPostsNothing() {
    ChatTestClient ann = connect();
    ann.join("lobby", "ann");
    JsonObject good = new JsonObject().put("room", "lobby").put("sender", "bot").put("text", "hi");
    Map<Object, String> bad = new LinkedHashMap<>();
    bad.put("not json", "invalid_json");
    bad.put(new JsonObject(), "'room'");
    bad.put(good.copy().put("room", "Lobby!"), "'room'");
    bad.put(good.copy().put("sender", " bot"), "'sender'");
    JsonObject noSender = good.copy();
    noSender.remove("sender");
    bad.put(noSender, "'sender'");
    bad.put(good.copy().put("text", ""), "'text'");
    bad.put(good.copy().put("text", "x".repeat(ChatOptions.DEFAULT_MAX_TEXT_LENGTH + 1)), "'text' is longer than 2000");
    bad.forEach((body, says) -> {
      ReplyException failure = assertInstanceOf(ReplyException.class, failure(body), String.valueOf(body));
      assertEquals(ReplyFailure.RECIPIENT_FAILURE, failure.failureType());
      assertEquals(400, failure.failureCode(), String.valueOf(body));
      assertTrue(failure.getMessage().contains(says), failure.getMessage() + " should say " + says);
    });
    assertEquals(1L, post(good).getLong("seq"), "nothing was numbered for the bad ones");
    assertEquals(List.of(1L), ann.messages(1).stream().map(m -> m.getLong("seq")).toList());
  }

  /** How a {@code chat.post} request with {@code body} failed; fails the test if it was answered. */
  private Throwable failure(Object body) {
    return TestKit.awaitUnchecked(TestKit.onContext(vertx, () -> vertx.eventBus().request(Addresses.CHAT_POST, body))
      .transform(done -> done.failed() ? Future.succeededFuture(done.cause())
        : Future.failedFuture(new AssertionError("answered " + done.result().body()))), WAIT);
  }

  private JsonObject post(JsonObject body) {
    return TestKit.awaitUnchecked(TestKit.onContext(vertx, () -> vertx.eventBus().<JsonObject>request(Addresses.CHAT_POST, body)), WAIT).body();
  }
}
