package dev.switchboard.chat;

import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.switchboard.chat.ChatTestClient.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The first member of a room on an instance joins while a message is numbered but not yet kept in
 * history (another node's post between its two steps): the message is in neither the joiner's
 * replay nor, had the room's view started after the counter, its live delivery. The view starts at
 * the first number not kept yet, so the joiner gets it live, in order, with what follows.
 */
class ChatJoinGapTest {

  private static final String ROOM = "gap";

  private TestCluster cluster;
  private WebSocketClient client;
  private int port;

  @BeforeEach
  void start() throws Exception {
    cluster = TestCluster.started(1);
    port = TestKit.awaitUnchecked(TestKit.deploy(cluster.node(0), ChatVerticle.DEFINITION, new JsonObject(), 1), WAIT).port("http");
    client = cluster.node(0).createWebSocketClient();
  }

  @AfterEach
  void stop() {
    TestKit.awaitUnchecked(cluster.close(), WAIT);
  }

  @Test
  void aMessageNumberedButNotYetKeptWhenTheRoomOpensReachesTheFirstJoiner() {
    Vertx node = cluster.node(0);
    // Another node's post, stopped between its steps: #1 kept and delivered already, #2 numbered only.
    JsonObject first = ChatProtocol.message(ROOM, "far", "one", 1, "id-1", System.currentTimeMillis());
    JsonObject second = ChatProtocol.message(ROOM, "far", "two", 2, "id-2", System.currentTimeMillis());
    TestKit.awaitUnchecked(node.sharedData().getCounter(ChatStore.SEQUENCE_PREFIX + ROOM).compose(counter -> counter.addAndGet(2)), WAIT);
    TestKit.awaitUnchecked(node.sharedData().<String, JsonObject>getAsyncMap(ChatStore.HISTORY).compose(map -> map.put(ROOM + "#1", first)), WAIT);

    ChatTestClient ann = ChatTestClient.connect(client, port);
    ann.join(new JsonObject().put("type", "join").put("room", ROOM).put("nickname", "ann").put("since", 0));

    // The post goes on: #2 kept, then on the bus; then the next message.
    TestKit.awaitUnchecked(node.sharedData().<String, JsonObject>getAsyncMap(ChatStore.HISTORY).compose(map -> map.put(ROOM + "#2", second)), WAIT);
    node.eventBus().publish(ChatVerticle.INTERNAL_ROOM_PREFIX + ROOM, second);
    ChatTestClient bob = ChatTestClient.connect(client, port);
    bob.join(ROOM, "bob");
    bob.send(bob.message("three"));

    List<JsonObject> seen = ann.messages(3);
    assertEquals(List.of(1L, 2L, 3L), seen.stream().map(m -> m.getLong("seq")).toList(), seen::toString);
    assertEquals(List.of("one", "two", "three"), seen.stream().map(m -> m.getString("text")).toList());
  }
}
