package dev.switchboard.chat;

import dev.switchboard.shared.bus.Addresses;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.switchboard.chat.ChatTestClient.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
    JsonObject reply = await(vertx.eventBus().<JsonObject>request(Addresses.CHAT_ROOMS, new JsonObject())).body();
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
    CompletableFuture<Void> gotLeft = new CompletableFuture<>();
    MessageConsumer<JsonObject> listener = vertx.eventBus().consumer(Addresses.CHAT_ROOM_PREFIX + "lobby", m -> {
      heard.add(m.body());
      m.headers().names().forEach(headers::add);
      if ("left".equals(m.body().getString("type"))) {
        gotLeft.complete(null);
      }
    });
    await(listener.completion());
    ChatTestClient ann = connect();
    ChatTestClient bob = connect();
    ann.join("lobby", "ann");
    bob.join("lobby", "bob");
    ann.send(new JsonObject().put("type", "typing"));
    bob.awaitOne(ChatTestClient.ofType("typing"));
    ann.send(ann.message("hello bus"));
    bob.messages(1);
    bob.send(new JsonObject().put("type", "leave"));
    await(io.vertx.core.Future.fromCompletionStage(gotLeft));
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
}
