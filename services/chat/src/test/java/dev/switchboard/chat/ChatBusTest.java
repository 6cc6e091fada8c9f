package dev.switchboard.chat;

import dev.switchboard.shared.bus.Addresses;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
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
  void roomEventsArePublishedForBusListeners() {
    List<JsonObject> heard = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> gotMessage = new CompletableFuture<>();
    MessageConsumer<JsonObject> listener = vertx.eventBus().consumer(Addresses.CHAT_ROOM_PREFIX + "lobby", m -> {
      heard.add(m.body());
      if ("message".equals(m.body().getString("type"))) {
        gotMessage.complete(null);
      }
    });
    await(listener.completion());
    ChatTestClient ann = connect();
    ann.join("lobby", "ann");
    ann.send(ann.message("hello bus"));
    await(io.vertx.core.Future.fromCompletionStage(gotMessage));
    JsonObject message = heard.stream().filter(e -> "message".equals(e.getString("type"))).findFirst().orElseThrow();
    assertEquals("hello bus", message.getString("text"));
    assertEquals(1L, message.getLong("seq"));
    assertEquals("joined", heard.get(0).getString("type"));
  }
}
