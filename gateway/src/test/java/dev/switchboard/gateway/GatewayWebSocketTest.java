package dev.switchboard.gateway;

import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.RawWebSocket;
import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.WebSocketCorpus;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WebSockets through the gateway to a service node found in the registry: frames of every kind
 * arrive as sent, and a close on either side reaches the other with its code.
 */
class GatewayWebSocketTest {

  private static final short SERVICE_CLOSE = 4001;

  private static TestCluster cluster;
  private static Vertx clientVertx;
  private static WebSocketClient client;
  private static int gatewayPort;
  private static final Promise<Short> serviceSawClose = Promise.promise();
  private static final List<String> serviceSawHeaders = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.started(2);
    Vertx node = cluster.node(1);
    // A WebSocket service: echoes each frame; "close" makes it close with 4001.
    // /ready answered as a service's: the gateway's health checks keep the node in rotation.
    HttpServer server = node.createHttpServer().requestHandler(request -> request.response().end()).webSocketHandler(ws -> {
      serviceSawHeaders.add(ws.headers().get("X-Request-Id"));
      ws.frameHandler(frame -> {
        if (frame.isText() && frame.isFinal() && frame.textData().equals("flood")) {
          flood(ws);
        } else if (frame.isText() && frame.isFinal() && frame.textData().equals("close")) {
          ws.close(SERVICE_CLOSE, "asked to");
        } else if (frame.isText() || frame.isBinary() || frame.isContinuation()) {
          ws.writeFrame(frame);
        }
      });
      ws.closeHandler(v -> {
        if (ws.closeStatusCode() != null && ws.closeStatusCode() != SERVICE_CLOSE) {
          serviceSawClose.tryComplete(ws.closeStatusCode());
        }
      });
    });
    int port = await(server.listen(0, "127.0.0.1"), TIMEOUT).actualPort();
    ServiceRuntime runtime = ServiceRuntime.create("sockets", Duration.ofSeconds(1));
    runtime.listening("http", "http://127.0.0.1:" + port);
    await(ServiceRegistry.announce(node, runtime), TIMEOUT);

    JsonObject settings = new JsonObject().put("routes", new JsonArray().add("/ws sockets"));
    gatewayPort = await(TestGateway.deploy(cluster.node(0), settings, 2), TIMEOUT).port("http");
    clientVertx = TestKit.vertx();
    client = clientVertx.createWebSocketClient();
  }

  @AfterAll
  static void stop() throws Exception {
    await(clientVertx.close(), TIMEOUT);
    await(cluster.close(), TIMEOUT);
  }

  @Test
  void framesGoBothWaysAsSent() throws Exception {
    WebSocket ws = await(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(gatewayPort)
      .setURI("/ws/room?x=1").putHeader("X-Request-Id", "ws-trace")), TIMEOUT);
    List<WebSocketFrame> received = new CopyOnWriteArrayList<>();
    Promise<Void> four = Promise.promise();
    ws.frameHandler(frame -> {
      received.add(frame);
      if (received.size() == 4) {
        four.tryComplete();
      }
    });
    ws.writeFrame(WebSocketFrame.textFrame("héllo", true));
    ws.writeFrame(WebSocketFrame.binaryFrame(Buffer.buffer(new byte[] {0, 1, 2, (byte) 255}), true));
    ws.writeFrame(WebSocketFrame.textFrame("frag", false));
    ws.writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer("ment"), true));
    await(four.future(), Duration.ofSeconds(10));
    assertEquals("héllo", received.get(0).textData());
    assertEquals(Buffer.buffer(new byte[] {0, 1, 2, (byte) 255}), received.get(1).binaryData());
    assertEquals("frag", received.get(2).textData());
    assertEquals(false, received.get(2).isFinal());
    assertEquals("ment", received.get(3).binaryData().toString());
    assertEquals(true, received.get(3).isContinuation());
    assertEquals(List.of("ws-trace"), serviceSawHeaders.subList(serviceSawHeaders.size() - 1, serviceSawHeaders.size()));

    ws.close((short) 4100, "bye");
    assertEquals((short) 4100, await(serviceSawClose.future(), Duration.ofSeconds(10)), "the client's close code reaches the service");
  }

  @Test
  void theServicesCloseCodeReachesTheClient() throws Exception {
    WebSocket ws = await(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(gatewayPort).setURI("/ws")), TIMEOUT);
    Promise<Short> closed = Promise.promise();
    ws.closeHandler(v -> closed.tryComplete(ws.closeStatusCode()));
    ws.writeTextMessage("close");
    assertEquals(SERVICE_CLOSE, await(closed.future(), Duration.ofSeconds(10)));
  }

  /**
   * A service with no bound of its own keeps its side of the relay paused behind a client that
   * does not read: the gateway cuts that client off once it has taken nothing for the idle timeout.
   */
  @Test
  void aClientThatStopsReadingIsCutOffAfterTheIdleTimeoutWhateverTheService() throws Exception {
    JsonObject settings = new JsonObject().put("routes", new JsonArray().add("/ws sockets")).put("idleTimeout", "2s");
    int port = await(TestGateway.deploy(cluster.node(0), settings, 1), TIMEOUT).port("http");
    try (RawWebSocket reader = RawWebSocket.connect("127.0.0.1", port,
      RawWebSocket.Request.upgrade("127.0.0.1", port, "/ws"), WebSocketCorpus.NON_READER_RECEIVE_BUFFER)) {
      reader.text("flood");
      long started = System.nanoTime();
      TestKit.awaitPoll(reader::isDropped, Boolean::booleanValue, Duration.ofMillis(200), Duration.ofSeconds(20), "the reader cut off");
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
      assertTrue(seconds >= 1, "cut off after " + seconds + " s: before the idle timeout");
    }
  }

  /** Writes frames of 8 KiB to {@code ws} for as long as it is open, honouring its write queue. */
  private static void flood(ServerWebSocket ws) {
    Buffer chunk = Buffer.buffer(new byte[8 * 1024]);
    while (!ws.isClosed() && !ws.writeQueueFull()) {
      ws.writeBinaryMessage(chunk);
    }
    if (!ws.isClosed()) {
      ws.drainHandler(v -> flood(ws));
    }
  }

  @Test
  void noNodeMeansAPlain503() throws Exception {
    JsonObject settings = new JsonObject().put("routes", new JsonArray().add("/ws nobody"));
    int port = await(TestGateway.deploy(cluster.node(0), settings, 1), TIMEOUT).port("http");
    Throwable refused = await(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws"))
      .map(ws -> (Throwable) null).recover(e -> io.vertx.core.Future.succeededFuture(e)), TIMEOUT);
    assertEquals(true, refused != null && refused.getMessage().contains("503"), String.valueOf(refused));
  }
}
