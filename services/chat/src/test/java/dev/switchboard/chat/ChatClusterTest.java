package dev.switchboard.chat;

import com.hazelcast.core.HazelcastInstance;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import static dev.switchboard.chat.ChatTestClient.WAIT;
import static dev.switchboard.chat.ChatTestClient.ofType;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Three clustered nodes in one JVM (Hazelcast on loopback), each running the chat; clients on different nodes. */
class ChatClusterTest {

  private static final JsonObject SETTINGS = new JsonObject().put("rateLimit", 1000).put("rateBurst", 1000).put("gapTimeout", "500ms");

  private TestCluster cluster;
  private Vertx clients;
  private WebSocketClient client;
  private final List<Integer> ports = new ArrayList<>();

  @BeforeEach
  void startCluster() throws Exception {
    cluster = TestCluster.started(3);
    for (Vertx node : cluster.nodes()) {
      ports.add(TestKit.awaitUnchecked(TestKit.deploy(node, ChatVerticle.DEFINITION, SETTINGS, 2), WAIT).port("http"));
    }
    clients = Vertx.vertx();
    client = clients.createWebSocketClient();
  }

  @AfterEach
  void stopCluster() throws Exception {
    TestKit.await(clients.close());
    TestKit.await(cluster.close(), Duration.ofSeconds(60));
  }

  private ChatTestClient connect(int node) {
    return ChatTestClient.connect(client, ports.get(node));
  }

  @Test
  void clientsOnThreeNodesSeeOneRoomInOneOrder() {
    ChatTestClient ann = connect(0);
    ChatTestClient bob = connect(1);
    ChatTestClient cat = connect(2);
    ann.join("lobby", "ann");
    bob.join("lobby", "bob");
    cat.join("lobby", "cat");
    assertEquals(List.of("ann", "bob", "cat"), cat.awaitOne(ofType("presence")).getJsonArray("members").getList());
    // Two senders on two nodes write without waiting for each other.
    for (int i = 0; i < 30; i++) {
      ann.socket().writeTextMessage(ann.message("a" + i).encode());
      bob.socket().writeTextMessage(bob.message("b" + i).encode());
    }
    List<JsonObject> atAnn = ann.messages(60);
    List<JsonObject> atBob = bob.messages(60);
    List<JsonObject> atCat = cat.messages(60);
    assertEquals(LongStream.rangeClosed(1, 60).boxed().toList(), atCat.stream().map(e -> e.getLong("seq")).toList());
    assertEquals(atCat, atAnn);
    assertEquals(atCat, atBob);
    // Each sender's own messages keep the order they were sent in.
    assertEquals(LongStream.range(0, 30).mapToObj(i -> "a" + i).toList(),
      atCat.stream().filter(e -> e.getString("sender").equals("ann")).map(e -> e.getString("text")).toList());
  }

  @Test
  void oneConnectionInTwoRoomsAndItsBinaryMessagesReachOtherNodes() {
    ChatTestClient ann = connect(0);
    ChatTestClient bob = connect(1);
    ChatTestClient cat = connect(2);
    ann.join(new JsonObject().put("type", "join").put("room", "lobby").put("nickname", "ann").put("add", true));
    ann.join(new JsonObject().put("type", "join").put("room", "kitchen").put("nickname", "ann").put("add", true));
    bob.join("lobby", "bob");
    cat.join("kitchen", "cat");
    bob.send(bob.message("from node 1"));
    cat.send(cat.message("from node 2"));
    List<JsonObject> atAnn = ann.messages(2);
    assertEquals(List.of("kitchen:from node 2", "lobby:from node 1"),
      atAnn.stream().map(m -> m.getString("room") + ":" + m.getString("text")).sorted().toList());

    byte[] payload = {0, 1, 2, (byte) 0xFE, (byte) 0xFF};
    ann.sendBinary(Buffer.buffer().appendByte(ChatBinary.VERSION).appendByte((byte) 7).appendString("kitchen").appendBytes(payload));
    ChatBinaryTest.Relayed relayed = ChatBinaryTest.Relayed.of(cat.binaries(1).get(0));
    assertEquals(new ChatBinaryTest.Relayed("kitchen", "ann", Buffer.buffer(payload)), relayed);
    ann.send(ann.message("after the binary").put("room", "lobby"));
    assertEquals("after the binary", bob.messages(2).get(1).getString("text"));
    assertEquals(0, bob.binaryCount(), "the lobby on node 1 gets no binary meant for the kitchen");
  }

  @Test
  void resumeAfterTheNodeOwningTheRoomStopsReplaysExactlyTheMissedMessages() {
    int owner = ownerOf("chat.seq.lobby");
    int stay = (owner + 1) % 3;
    int rescue = (owner + 2) % 3;
    ChatTestClient ann = connect(stay);
    ChatTestClient bob = connect(owner);
    ann.join("lobby", "ann");
    bob.join("lobby", "bob");
    for (int i = 1; i <= 5; i++) {
      ann.send(ann.message("before " + i).put("clientId", "ann-" + i));
    }
    long seen = bob.messages(5).get(4).getLong("seq");
    assertEquals(5L, seen);

    TestKit.awaitUnchecked(cluster.stop(owner), WAIT);
    bob.closeCode();
    JsonObject left = ann.awaitOne(e -> "left".equals(e.getString("type")) && "bob".equals(e.getString("nickname")));
    assertEquals("node left", left.getString("reason"));

    for (int i = 6; i <= 9; i++) {
      ann.send(ann.message("missed " + i).put("clientId", "ann-" + i));
    }
    ann.await(ofType("ack"), 9);
    // A resend after the failover is still recognised.
    ann.send(ann.message("missed 9").put("clientId", "ann-9"));
    assertEquals(true, ann.await(ofType("ack"), 10).get(9).getBoolean("duplicate"));

    ChatTestClient back = connect(rescue);
    JsonObject joined = back.join(new JsonObject().put("type", "join").put("room", "lobby").put("nickname", "bob").put("since", seen));
    assertEquals(9L, joined.getLong("seq"));
    assertEquals(false, joined.getBoolean("truncated"));
    List<JsonObject> replayed = back.messages(4);
    assertEquals(List.of(6L, 7L, 8L, 9L), replayed.stream().map(e -> e.getLong("seq")).toList());
    assertEquals(List.of("missed 6", "missed 7", "missed 8", "missed 9"), replayed.stream().map(e -> e.getString("text")).toList());
    ann.send(ann.message("live"));
    JsonObject live = back.messages(5).get(4);
    assertEquals(10L, live.getLong("seq"));
    assertEquals(5, back.count(ChatTestClient::isMessage));
  }

  @Test
  void aSessionTakenOverFromAnotherNodeClosesTheOldConnection() {
    String session = "5d0c7d4e-6f0a-4f67-9a0e-2b7f0c1d9e31";
    ChatTestClient old = connect(0);
    ChatTestClient bob = connect(1);
    old.join(new JsonObject().put("type", "join").put("room", "lobby").put("nickname", "ann").put("session", session));
    bob.join("lobby", "bob");
    ChatTestClient back = connect(2);
    back.join(new JsonObject().put("type", "join").put("room", "lobby").put("nickname", "ann").put("session", session));
    assertEquals(ChatProtocol.SESSION_TAKEN, old.awaitOne(ofType("error")).getString("code"));
    assertEquals(1000, old.closeCode());
    bob.send(bob.message("still here?"));
    assertEquals("still here?", back.messages(1).get(0).getString("text"));
    assertEquals(0, bob.count(ofType("left")), "ann never left the room");
  }

  @Test
  void membersOfANodeThatDiesLeavePresence() {
    ChatTestClient ann = connect(0);
    ChatTestClient bob = connect(1);
    ChatTestClient cat = connect(2);
    ann.join("lobby", "ann");
    bob.join("lobby", "bob");
    cat.join("lobby", "cat");
    TestKit.awaitUnchecked(cluster.stop(2), WAIT);
    assertEquals("node left", ann.awaitOne(e -> "left".equals(e.getString("type")) && "cat".equals(e.getString("nickname"))).getString("reason"));
    assertEquals(1, ann.count(e -> "left".equals(e.getString("type"))), "announced once");
    ChatTestClient dan = connect(1);
    dan.join("lobby", "dan");
    assertEquals(List.of("ann", "bob", "dan"), dan.awaitOne(ofType("presence")).getJsonArray("members").getList());
  }

  @Test
  void membersOfANodeThatVanishesWithoutGoodbyeAreRemovedByTheOthers() {
    ChatTestClient ann = connect(0);
    ChatTestClient cat = connect(2);
    ann.join("lobby", "ann");
    cat.join("lobby", "cat");
    for (int i = 1; i <= 3; i++) {
      cat.send(cat.message("before the crash " + i));
    }
    ann.messages(3);
    // The member is killed outright: no verticle stop, no close frames; only the membership event tells.
    hazelcast(2).getLifecycleService().terminate();
    JsonObject left = ann.awaitOne(e -> "left".equals(e.getString("type")) && "cat".equals(e.getString("nickname")));
    assertEquals("node left", left.getString("reason"));
    ann.send(ann.message("still chatting"));
    assertEquals(4L, ann.messages(4).get(3).getLong("seq"), "the room's counter survived the crash");
    // History kept on (or backed up from) the crashed member is still there.
    ChatTestClient dan = connect(1);
    dan.join(new JsonObject().put("type", "join").put("room", "lobby").put("nickname", "dan").put("since", 0));
    assertEquals(List.of("before the crash 1", "before the crash 2", "before the crash 3", "still chatting"),
      dan.messages(4).stream().map(e -> e.getString("text")).toList());
  }

  @Test
  void aCounterLostWithItsPartitionIsRestartedFromWhatIsStillKnown() {
    ChatTestClient ann = connect(0);
    ann.join("lobby", "ann");
    for (int i = 1; i <= 3; i++) {
      ann.send(ann.message("before " + i));
    }
    ann.messages(3);
    // What losing the owner and the backup of the counter's partition at once leaves: no entry at all.
    // (vertx-hazelcast then fails every increment with a NullPointerException, for good.)
    hazelcast(0).getMap(ChatStore.HAZELCAST_COUNTERS).remove(ChatStore.SEQUENCE_PREFIX + "lobby");

    // A node that has seen nothing of the room rebuilds it from history; the numbering goes on.
    ChatTestClient cat = connect(2);
    JsonObject joined = cat.join("lobby", "cat");
    assertEquals(3L, joined.getLong("seq"));
    cat.send(cat.message("after"));
    assertEquals(4L, cat.messages(4).get(3).getLong("seq"));
    assertEquals(4L, ann.messages(4).get(3).getLong("seq"));

    // Lost again: the node of a member that has seen #4 knows better than history alone.
    hazelcast(1).getMap(ChatStore.HAZELCAST_COUNTERS).remove(ChatStore.SEQUENCE_PREFIX + "lobby");
    ann.send(ann.message("again"));
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), ann.messages(5).stream().map(e -> e.getLong("seq")).toList());
    assertEquals("again", cat.messages(5).get(4).getString("text"));
  }

  private HazelcastInstance hazelcast(int node) {
    return ((HazelcastClusterManager) ((VertxInternal) cluster.node(node)).clusterManager()).getHazelcastInstance();
  }

  /** The index of the node whose Hazelcast member owns the partition of a key of Vert.x's counter map. */
  private int ownerOf(String counter) {
    HazelcastInstance any = ((HazelcastClusterManager) ((VertxInternal) cluster.node(0)).clusterManager()).getHazelcastInstance();
    var owner = any.getPartitionService().getPartition(counter).getOwner();
    for (int i = 0; i < 3; i++) {
      HazelcastInstance member = ((HazelcastClusterManager) ((VertxInternal) cluster.node(i)).clusterManager()).getHazelcastInstance();
      if (member.getCluster().getLocalMember().getUuid().equals(owner.getUuid())) {
        return i;
      }
    }
    throw new AssertionError("no node owns " + counter);
  }
}
