package dev.switchboard.chat;

import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;

import static dev.switchboard.chat.ChatTestClient.WAIT;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Three clients post into one room at the same moment, each without waiting for its own acks:
 * every post is acknowledged, nobody hears an error, and every client sees the room's numbers
 * 1..N without a gap, in one order. Ten rounds, each in a fresh room; on one process with two
 * instances (local shared data), on one clustered node with two instances and on three clustered
 * nodes (Hazelcast), where the answers of concurrent counter increments come back in any order.
 */
class ChatConcurrencyTest {

  private static final int CLIENTS = 3;
  private static final int POSTS = 30;
  private static final int ROUNDS = 10;
  /** Fast enough for a burst of posts; a gap would be skipped after a second and show as a missing number. */
  private static final JsonObject SETTINGS = new JsonObject().put("rateLimit", 10_000).put("rateBurst", 10_000);

  private Vertx clients;
  private TestCluster cluster;
  private Vertx standalone;

  @AfterEach
  void close() throws Exception {
    if (clients != null) {
      TestKit.await(clients.close());
    }
    if (standalone != null) {
      TestKit.await(standalone.close());
    }
    if (cluster != null) {
      TestKit.await(cluster.close(), Duration.ofSeconds(60));
    }
  }

  @Test
  void concurrentPostsOnOneProcessWithTwoInstancesGetConsecutiveNumbers() {
    standalone = TestKit.vertx();
    int port = TestKit.awaitUnchecked(TestKit.deploy(standalone, ChatVerticle.DEFINITION, SETTINGS, 2), WAIT).port("http");
    postConcurrently(List.of(port, port, port));
  }

  @Test
  void concurrentPostsOnOneClusteredNodeWithTwoInstancesGetConsecutiveNumbers() throws Exception {
    cluster = TestCluster.started(1);
    int port = TestKit.awaitUnchecked(TestKit.deploy(cluster.node(0), ChatVerticle.DEFINITION, SETTINGS, 2), WAIT).port("http");
    postConcurrently(List.of(port, port, port));
  }

  @Test
  void concurrentPostsOnThreeNodesGetConsecutiveNumbers() throws Exception {
    cluster = TestCluster.started(3);
    List<Integer> ports = new ArrayList<>();
    for (Vertx node : cluster.nodes()) {
      ports.add(TestKit.awaitUnchecked(TestKit.deploy(node, ChatVerticle.DEFINITION, SETTINGS, 2), WAIT).port("http"));
    }
    postConcurrently(ports);
  }

  /** The room's messages a member received, once the one numbered {@code last} has come (numbers are handed out in order). */
  private static List<JsonObject> waitForNumber(ChatTestClient member, String room, long last) {
    member.awaitOne(e -> ChatTestClient.isMessage(e) && room.equals(e.getString("room")) && e.getLong("seq") == last);
    return member.events().stream().filter(e -> ChatTestClient.isMessage(e) && room.equals(e.getString("room"))).toList();
  }

  /** One client per port; ten rounds of {@link #POSTS} posts from each at once. */
  private void postConcurrently(List<Integer> ports) {
    clients = Vertx.vertx();
    WebSocketClient client = clients.createWebSocketClient();
    List<ChatTestClient> members = new ArrayList<>();
    for (int port : ports) {
      members.add(ChatTestClient.connect(client, port));
    }
    int total = CLIENTS * POSTS;
    List<Long> consecutive = LongStream.rangeClosed(1, total).boxed().toList();
    for (int round = 0; round < ROUNDS; round++) {
      String room = "burst" + round;
      for (int c = 0; c < CLIENTS; c++) {
        members.get(c).join(room, "member" + c);
      }
      for (int i = 0; i < POSTS; i++) {
        for (int c = 0; c < CLIENTS; c++) {
          ChatTestClient member = members.get(c);
          member.socket().writeTextMessage(member.message(c + "-" + i).put("clientId", room + "-" + c + "-" + i).encode());
        }
      }
      // Each post is answered once, with an ack or an error; then every client waits for the highest number given.
      long last = 0;
      for (int c = 0; c < CLIENTS; c++) {
        String prefix = room + "-" + c + "-";
        List<JsonObject> answers = members.get(c).await(e -> "error".equals(e.getString("type"))
          || "ack".equals(e.getString("type")) && e.getString("clientId").startsWith(prefix), POSTS);
        assertEquals(List.of(), answers.stream().filter(ChatTestClient.ofType("error")).toList(), "round " + round + ", client " + c + ": errors");
        last = Math.max(last, answers.stream().mapToLong(e -> e.getLong("seq")).max().orElseThrow());
      }
      assertEquals(total, last, "round " + round + ": the highest number given");
      List<String> first = null;
      for (int c = 0; c < CLIENTS; c++) {
        List<JsonObject> seen = waitForNumber(members.get(c), room, last);
        assertEquals(consecutive, seen.stream().map(e -> e.getLong("seq")).toList(), "round " + round + ", client " + c + ": numbers seen");
        List<String> texts = seen.stream().map(e -> e.getString("text")).toList();
        if (first == null) {
          first = texts;
        } else {
          assertEquals(first, texts, "round " + round + ", client " + c + ": the same order as client 0");
        }
      }
    }
  }
}
