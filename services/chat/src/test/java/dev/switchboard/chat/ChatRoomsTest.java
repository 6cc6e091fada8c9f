package dev.switchboard.chat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Predicate;

import static dev.switchboard.chat.ChatTestClient.ofType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Several rooms on one connection: {@code join} with {@code add}, and commands that name their room. */
class ChatRoomsTest extends ChatTestBase {

  static final int MAX_ROOMS = 3;

  @BeforeEach
  void deployChat() {
    deploy(new JsonObject().put("historySize", 50).put("maxRooms", MAX_ROOMS).put("rateLimit", 1000).put("rateBurst", 1000));
  }

  private static JsonObject add(String room, String nickname) {
    return new JsonObject().put("type", "join").put("room", room).put("nickname", nickname).put("add", true);
  }

  private static JsonObject in(String room, JsonObject command) {
    return command.put("room", room);
  }

  private static Predicate<JsonObject> messageIn(String room) {
    return e -> ChatTestClient.isMessage(e) && room.equals(e.getString("room"));
  }

  private static List<Long> seqs(List<JsonObject> messages) {
    return messages.stream().map(m -> m.getLong("seq")).toList();
  }

  @Test
  void oneConnectionInTwoRoomsHearsEachUnderItsNameAndPostsToEither() {
    ChatTestClient ann = connect();
    assertEquals("lobby", ann.join(add("lobby", "ann")).getString("room"));
    JsonObject kitchen = ann.join(add("kitchen", "annie"));
    assertEquals("kitchen", kitchen.getString("room"));
    assertEquals("annie", kitchen.getString("nickname"), "a nickname per room");
    ChatTestClient bob = connect();
    bob.join("lobby", "bob");
    ChatTestClient cat = connect();
    cat.join("kitchen", "cat");
    assertEquals("lobby", ann.awaitOne(e -> "joined".equals(e.getString("type")) && "bob".equals(e.getString("nickname"))).getString("room"));
    assertEquals("kitchen", ann.awaitOne(e -> "joined".equals(e.getString("type")) && "cat".equals(e.getString("nickname"))).getString("room"));

    bob.send(bob.message("in the lobby"));
    cat.send(cat.message("in the kitchen"));
    assertEquals("in the lobby", ann.await(messageIn("lobby"), 1).get(0).getString("text"));
    assertEquals("in the kitchen", ann.await(messageIn("kitchen"), 1).get(0).getString("text"));

    ann.send(in("kitchen", ann.message("to the kitchen").put("clientId", "k-1")));
    JsonObject ack = ann.awaitOne(ofType("ack"));
    assertEquals("kitchen", ack.getString("room"), "an ack for a message that named its room names it");
    assertEquals(2L, ack.getLong("seq"), "the kitchen's own sequence");
    JsonObject atCat = cat.messages(2).get(1);
    assertEquals("annie", atCat.getString("sender"));
    assertEquals("kitchen", atCat.getString("room"));

    ann.send(in("lobby", new JsonObject().put("type", "typing")));
    JsonObject typing = bob.awaitOne(ofType("typing"));
    assertEquals("lobby", typing.getString("room"));
    assertEquals("ann", typing.getString("nickname"));

    ann.send(in("lobby", ann.message("to the lobby")));
    assertEquals("ann", bob.messages(2).get(1).getString("sender"));
    ann.send(in("kitchen", ann.message("after typing")));
    assertEquals(List.of("in the kitchen", "to the kitchen", "after typing"), cat.messages(3).stream().map(m -> m.getString("text")).toList());
    assertEquals(0, cat.count(ofType("typing")), "typing stays in its room");
    assertEquals(List.of("lobby", "lobby"), bob.messages(2).stream().map(m -> m.getString("room")).toList());

    ann.close();
    assertEquals("lobby", bob.awaitOne(ofType("left")).getString("room"));
    JsonObject left = cat.awaitOne(ofType("left"));
    assertEquals("annie", left.getString("nickname"));
    assertEquals("disconnected", left.getString("reason"), "a closed connection leaves every room it was in");
  }

  @Test
  void aResumeAsksEachRoomFromItsOwnSince() {
    ChatTestClient ann = connect();
    ann.join(add("lobby", "ann"));
    ann.join(add("kitchen", "ann"));
    ChatTestClient bob = connect();
    bob.join("lobby", "bob");
    ChatTestClient cat = connect();
    cat.join("kitchen", "cat");
    for (int i = 1; i <= 3; i++) {
      bob.send(bob.message("lobby " + i));
      cat.send(cat.message("kitchen " + i));
    }
    assertEquals(List.of(1L, 2L, 3L), seqs(ann.await(messageIn("lobby"), 3)));
    assertEquals(List.of(1L, 2L, 3L), seqs(ann.await(messageIn("kitchen"), 3)));
    ann.close();
    bob.awaitOne(ofType("left"));
    for (int i = 4; i <= 5; i++) {
      bob.send(bob.message("lobby " + i));
    }
    for (int i = 4; i <= 7; i++) {
      cat.send(cat.message("kitchen " + i));
    }
    bob.messages(5);
    cat.messages(7);

    // The client had shown lobby up to #2 (say) and the kitchen up to #3.
    ChatTestClient again = connect();
    again.join(add("lobby", "ann").put("since", 2));
    again.join(add("kitchen", "ann").put("since", 3));
    cat.send(cat.message("kitchen 8"));
    bob.send(bob.message("lobby 6"));
    assertEquals(List.of(3L, 4L, 5L, 6L), seqs(again.await(messageIn("lobby"), 4)));
    assertEquals(List.of(4L, 5L, 6L, 7L, 8L), seqs(again.await(messageIn("kitchen"), 5)));
    assertEquals("lobby 6", again.await(messageIn("lobby"), 4).get(3).getString("text"));
    assertEquals(9, again.count(ChatTestClient::isMessage), "each missed message once, nothing twice");
  }

  @Test
  void leavingOneRoomKeepsTheOthers() {
    ChatTestClient ann = connect();
    ann.join(add("lobby", "ann"));
    ann.join(add("kitchen", "ann"));
    ChatTestClient cat = connect();
    cat.join("kitchen", "cat");

    ann.send(new JsonObject().put("type", "leave").put("room", "kitchen"));
    JsonObject self = ann.awaitOne(e -> "left".equals(e.getString("type")) && e.getBoolean("self", false));
    assertEquals("kitchen", self.getString("room"));
    assertEquals("kitchen", cat.awaitOne(ofType("left")).getString("room"));

    ann.send(new JsonObject().put("type", "leave").put("room", "kitchen"));
    JsonObject error = ann.awaitOne(ofType("error"));
    assertEquals(ChatProtocol.NOT_JOINED, error.getString("code"));
    assertEquals("kitchen", error.getString("room"));
    ann.send(in("kitchen", ann.message("gone").put("clientId", "g-1")));
    JsonObject notIn = ann.await(ofType("error"), 2).get(1);
    assertEquals(ChatProtocol.NOT_JOINED, notIn.getString("code"));
    assertEquals("g-1", notIn.getString("clientId"));
    assertEquals("kitchen", notIn.getString("room"));

    // In one room again, a message needs no room.
    cat.send(cat.message("not for ann"));
    cat.messages(1);
    ann.send(ann.message("still in the lobby"));
    JsonObject mine = ann.awaitOne(ChatTestClient::isMessage);
    assertEquals("lobby", mine.getString("room"));
    assertEquals("still in the lobby", mine.getString("text"));
    assertEquals(1, ann.count(ChatTestClient::isMessage), "nothing more from the room it left");
  }

  @Test
  void aConnectionInSeveralRoomsMustNameTheRoomOfAMessageOrTyping() {
    ChatTestClient ann = connect();
    ann.join(add("lobby", "ann"));
    ann.join(add("kitchen", "ann"));
    ann.send(ann.message("where?").put("clientId", "w-1"));
    ann.send(new JsonObject().put("type", "typing"));
    List<JsonObject> errors = ann.await(ofType("error"), 2);
    assertEquals(List.of(ChatProtocol.INVALID_FIELD, ChatProtocol.INVALID_FIELD), errors.stream().map(e -> e.getString("code")).toList());
    assertEquals("'room' is needed: this connection is in 2 rooms", errors.get(0).getString("message"));
    assertEquals("w-1", errors.get(0).getString("clientId"));
    ann.send(in("Bad Room", ann.message("x")));
    assertEquals(ChatProtocol.INVALID_FIELD, ann.await(ofType("error"), 3).get(2).getString("code"));
    assertEquals(0, ann.count(ChatTestClient::isMessage));
  }

  @Test
  void joiningPastTheLimitIsRefusedWithTooManyRoomsAndChangesNothing() {
    ChatTestClient ann = connect();
    for (int i = 1; i <= MAX_ROOMS; i++) {
      ann.join(add("room" + i, "ann"));
    }
    ann.send(add("room4", "ann"));
    JsonObject error = ann.awaitOne(ofType("error"));
    assertEquals(ChatProtocol.TOO_MANY_ROOMS, error.getString("code"));
    assertEquals("room4", error.getString("room"));
    assertTrue(error.getString("message").contains("in " + MAX_ROOMS + " rooms"), error.getString("message"));

    // Still in all three; joining one of them again is no new room.
    ann.join(add("room2", "ann"));
    for (int i = 1; i <= MAX_ROOMS; i++) {
      ann.send(in("room" + i, ann.message("hi " + i)));
    }
    assertEquals(List.of("room1", "room2", "room3"), ann.messages(MAX_ROOMS).stream().map(m -> m.getString("room")).sorted().toList());

    ann.send(new JsonObject().put("type", "leave").put("room", "room1"));
    ann.awaitOne(e -> "left".equals(e.getString("type")) && e.getBoolean("self", false));
    assertEquals("room4", ann.join(add("room4", "ann")).getString("room"), "a place freed by a leave");
    assertEquals(1, ann.count(ofType("error")));
  }

  @Test
  void aJoinWithoutAddLeavesEveryRoomAsBeforeAndALeaveWithoutRoomLeavesThemAll() {
    ChatTestClient ann = connect();
    ann.join(add("lobby", "ann"));
    ann.join(add("kitchen", "ann"));
    ChatTestClient bob = connect();
    bob.join("lobby", "bob");
    ChatTestClient cat = connect();
    cat.join("kitchen", "cat");

    ann.join("garden", "ann");
    assertEquals("left", bob.awaitOne(ofType("left")).getString("reason"));
    assertEquals("kitchen", cat.awaitOne(ofType("left")).getString("room"));
    ann.send(ann.message("only the garden"));
    assertEquals("garden", ann.awaitOne(ChatTestClient::isMessage).getString("room"));

    ann.join(add("lobby", "ann"));
    ann.send(new JsonObject().put("type", "leave"));
    List<JsonObject> selfLefts = ann.await(e -> "left".equals(e.getString("type")) && e.getBoolean("self", false), 2);
    assertEquals(List.of("garden", "lobby"), selfLefts.stream().map(e -> e.getString("room")).sorted().toList());
    ann.send(new JsonObject().put("type", "leave"));
    assertEquals(ChatProtocol.NOT_JOINED, ann.awaitOne(ofType("error")).getString("code"));
    assertFalse(ann.awaitOne(ofType("error")).containsKey("room"), "the one-room form's answers name no room");
  }
}
