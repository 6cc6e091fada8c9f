package dev.switchboard.gateway;

import dev.switchboard.chat.ChatOptions;
import dev.switchboard.chat.ChatVerticle;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.RawWebSocket;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.WebSocketCorpus;
import dev.switchboard.shared.testkit.WebSocketCorpus.Burst;
import dev.switchboard.shared.testkit.WebSocketCorpus.Target;
import dev.switchboard.shared.ws.WebSocketLimits;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;

/**
 * The chat service against the shared RFC 6455 corpus, directly and through the gateway: the
 * same cases, and every one must pass both ways. What the
 * client sees of limits is the chat's (frames and messages: the gateway's own are larger and the
 * chat's refusal is relayed with its code) and the gateway's (pings: the gateway answers them).
 */
class GatewayWebSocketConformanceTest {

  private static final String ROOM = "corpus";
  private static final AtomicInteger RUNS = new AtomicInteger();
  private static final int BURST_MESSAGES = 50;
  private static final String TEXT = "x".repeat(8000);
  /** How long, and how often, a run looks for what chat has not told it yet (a join, the burst back). */
  private static final Duration SETTLE = Duration.ofSeconds(15);
  private static final Duration POLL = Duration.ofMillis(10);
  /** As the chat's own conformance test deploys it: a talker fast enough, and a small queue, for the slow-reader case. */
  private static final JsonObject CHAT = new JsonObject()
    .put("writeQueueMax", 16 * 1024).put("maxTextLength", TEXT.length())
    .put("rateLimit", 100_000).put("rateBurst", 100_000);

  private static TestCluster cluster;
  private static Vertx clientVertx;
  private static WebSocketClient direct;
  private static int chatPort;
  private static int gatewayPort;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.started(2);
    TestKit.Deployed chat = await(TestKit.deploy(cluster.node(1), ChatVerticle.DEFINITION, CHAT, 2), TIMEOUT);
    await(ServiceRegistry.announce(cluster.node(1), chat.runtime()), TIMEOUT);
    chatPort = chat.port("http");
    gatewayPort = await(TestGateway.deploy(cluster.node(0), new JsonObject()
      .put("routes", new JsonArray().add("/chat chat")).put("healthInterval", "500ms"), 2), TIMEOUT).port("http");
    clientVertx = TestKit.vertx();
    direct = clientVertx.createWebSocketClient();
  }

  @AfterAll
  static void stop() throws Exception {
    TestGateway.close(clientVertx, cluster);
  }

  @TestFactory
  Stream<DynamicTest> chatDirectlyPassesTheRfc6455Corpus() {
    WebSocketLimits chat = ChatOptions.fromJson(CHAT.copy().put("host", "127.0.0.1").put("port", 0)).webSocketLimits();
    return WebSocketCorpus.tests(Target.of("127.0.0.1", chatPort, ChatVerticle.PATH, chat)
      .withPush(GatewayWebSocketConformanceTest::talkTo));
  }

  @TestFactory
  Stream<DynamicTest> chatThroughTheGatewayPassesTheRfc6455Corpus() {
    WebSocketLimits chat = ChatOptions.fromJson(CHAT.copy().put("host", "127.0.0.1").put("port", 0)).webSocketLimits();
    WebSocketLimits seen = chat.withPings(WebSocketLimits.DEFAULT_PING_RATE, WebSocketLimits.DEFAULT_PING_BURST)
      .withWriteQueueMax(2 * 1024 * 1024);
    return WebSocketCorpus.tests(Target.of("127.0.0.1", gatewayPort, ChatVerticle.PATH, seen)
      .withPush(GatewayWebSocketConformanceTest::talkTo));
  }

  /**
   * Joins the reader (through the gateway) to a room where a member connected straight to the chat
   * posts messages, a burst at a time, each burst back at that member before the next.
   */
  private static Burst talkTo(RawWebSocket reader) throws Exception {
    // A room and names of its own per run of the case: the corpus runs twice against one chat.
    int run = RUNS.incrementAndGet();
    String room = ROOM + run;
    String readerName = "reader" + run;
    WebSocket talker = await(TestKit.onContext(clientVertx, () -> direct.connect(chatPort, "127.0.0.1", ChatVerticle.PATH)), TIMEOUT);
    AtomicInteger seen = new AtomicInteger();
    AtomicInteger readerJoined = new AtomicInteger();
    AtomicInteger talkerJoined = new AtomicInteger();
    talker.textMessageHandler(text -> {
      JsonObject event = new JsonObject(text);
      if ("message".equals(event.getString("type"))) {
        seen.incrementAndGet();
      } else if ("joined".equals(event.getString("type")) && readerName.equals(event.getString("nickname"))) {
        readerJoined.incrementAndGet();
      } else if ("joined".equals(event.getString("type")) && event.getBoolean("self", false)) {
        talkerJoined.incrementAndGet();
      }
    });
    await(talker.writeTextMessage(new JsonObject().put("type", "join").put("room", room).put("nickname", "talker" + run).encode()), TIMEOUT);
    // In the room before the reader joins, or the reader's joined event may go out before the talker is there to hear it.
    TestKit.awaitPoll(talkerJoined::get, joined -> joined > 0, POLL, SETTLE, "the talker joined");
    reader.text(new JsonObject().put("type", "join").put("room", room).put("nickname", readerName).encode());
    TestKit.awaitPoll(readerJoined::get, joined -> joined > 0, POLL, SETTLE, "the reader joined through the gateway");
    int[] posted = {0};
    return () -> {
      for (int i = 0; i < BURST_MESSAGES; i++) {
        talker.writeTextMessage(new JsonObject().put("type", "message").put("text", TEXT).encode());
      }
      posted[0] += BURST_MESSAGES;
      int expected = posted[0];
      TestKit.awaitPoll(seen::get, n -> n >= expected, POLL, SETTLE, "the talker's burst back at the talker");
    };
  }

}
