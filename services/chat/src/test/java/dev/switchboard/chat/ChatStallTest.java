package dev.switchboard.chat;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.switchboard.chat.ChatTestClient.WAIT;
import static dev.switchboard.chat.ChatTestClient.ofType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cluster that stalls (here: the room's sequence counter locked, as while its partition moves):
 * the sender hears {@code unavailable} within {@code commandTimeout} instead of nothing, its
 * connection goes on with its next commands, and once the cluster answers again the message is
 * posted exactly once, its resend acknowledged with the same number.
 */
class ChatStallTest {

  private static final String ROOM = "stall";
  private static final long COMMAND_TIMEOUT_MS = 500;

  private TestCluster cluster;
  private WebSocketClient client;
  private int port;

  @BeforeEach
  void start() throws Exception {
    cluster = TestCluster.started(1);
    port = TestKit.awaitUnchecked(TestKit.deploy(cluster.node(0), ChatVerticle.DEFINITION, new JsonObject()
      .put("commandTimeout", COMMAND_TIMEOUT_MS + "ms").put("rateLimit", 1000).put("rateBurst", 1000), 1), WAIT).port("http");
    client = cluster.node(0).createWebSocketClient();
  }

  @AfterEach
  void stop() {
    TestKit.awaitUnchecked(cluster.close(), WAIT);
  }

  @Test
  void aStalledPostIsAnsweredInTimeAndPostedOnceWhenTheClusterComesBack() {
    ChatTestClient ann = ChatTestClient.connect(client, port);
    ChatTestClient bob = ChatTestClient.connect(client, port);
    ann.join(ROOM, "ann");
    bob.join(ROOM, "bob");
    ann.send(ann.message("one").put("clientId", "c1"));
    assertEquals(1L, ann.awaitOne(ofType("ack")).getLong("seq"));

    IMap<String, Long> counters = hazelcast(cluster.node(0)).getMap(ChatStore.HAZELCAST_COUNTERS);
    // Held by this thread (with a lease, should the test fail before unlocking): every increment waits.
    counters.lock(ChatStore.SEQUENCE_PREFIX + ROOM, 30, TimeUnit.SECONDS);
    try {
      ann.send(ann.message("two").put("clientId", "c2"));
      JsonObject error = ann.awaitOne(ofType("error"));
      assertEquals(ChatProtocol.UNAVAILABLE, error.getString("code"));
      assertTrue(error.getString("message").contains("within " + COMMAND_TIMEOUT_MS + " ms"), error.encode());
      // The connection is not held behind the stalled post.
      ann.send(new JsonObject().put("type", "typing"));
      bob.awaitOne(e -> "typing".equals(e.getString("type")) && "ann".equals(e.getString("nickname")));
      assertEquals(1, bob.count(ChatTestClient::isMessage), "nothing posted while the counter is held");
    } finally {
      counters.unlock(ChatStore.SEQUENCE_PREFIX + ROOM);
    }
    // The stalled post goes through now; the client's resend gets the same number, not a second copy.
    List<JsonObject> posted = bob.messages(2);
    assertEquals("two", posted.get(1).getString("text"));
    assertEquals(2L, posted.get(1).getLong("seq"));
    ann.send(ann.message("two").put("clientId", "c2"));
    JsonObject resent = ann.await(e -> "ack".equals(e.getString("type")) && "c2".equals(e.getString("clientId"))
      && e.getBoolean("duplicate", false), 1).get(0);
    assertEquals(2L, resent.getLong("seq"));
    ann.send(ann.message("three").put("clientId", "c3"));
    assertEquals(3L, bob.messages(3).get(2).getLong("seq"));
    assertEquals(List.of("one", "two", "three"), bob.messages(3).stream().map(m -> m.getString("text")).toList(),
      "every message once, in order");
    assertFalse(ann.isClosed());
  }

  private static HazelcastInstance hazelcast(Vertx node) {
    return ((HazelcastClusterManager) ((VertxInternal) node).clusterManager()).getHazelcastInstance();
  }
}
