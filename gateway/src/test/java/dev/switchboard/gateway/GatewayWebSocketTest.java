package dev.switchboard.gateway;

import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.switchboard.gateway.GatewayClusterTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

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
  private static final CompletableFuture<Short> serviceSawClose = new CompletableFuture<>();
  private static final List<String> serviceSawHeaders = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.started(2);
    Vertx node = cluster.node(1);
    // A WebSocket service: echoes each frame; "close" makes it close with 4001.
    HttpServer server = node.createHttpServer().webSocketHandler(ws -> {
      serviceSawHeaders.add(ws.headers().get("X-Request-Id"));
      ws.frameHandler(frame -> {
        if (frame.isText() && frame.isFinal() && frame.textData().equals("close")) {
          ws.close(SERVICE_CLOSE, "asked to");
        } else if (frame.isText() || frame.isBinary() || frame.isContinuation()) {
          ws.writeFrame(frame);
        }
      });
      ws.closeHandler(v -> {
        if (ws.closeStatusCode() != null && ws.closeStatusCode() != SERVICE_CLOSE) {
          serviceSawClose.complete(ws.closeStatusCode());
        }
      });
    });
    int port = await(server.listen(0, "127.0.0.1")).actualPort();
    ServiceRuntime runtime = ServiceRuntime.create("sockets", Duration.ofSeconds(1));
    runtime.listening("http", "http://127.0.0.1:" + port);
    await(ServiceRegistry.announce(node, runtime));

    JsonObject settings = new JsonObject().put("routes", new JsonArray().add("/ws sockets"));
    gatewayPort = await(TestGateway.deploy(cluster.node(0), settings, 2)).port("http");
    clientVertx = TestKit.vertx();
    client = clientVertx.createWebSocketClient();
  }

  @AfterAll
  static void stop() throws Exception {
    await(clientVertx.close());
    await(cluster.close());
  }

  @Test
  void framesGoBothWaysAsSent() throws Exception {
    WebSocket ws = await(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(gatewayPort)
      .setURI("/ws/room?x=1").putHeader("X-Request-Id", "ws-trace")));
    List<WebSocketFrame> received = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> four = new CompletableFuture<>();
    ws.frameHandler(frame -> {
      received.add(frame);
      if (received.size() == 4) {
        four.complete(null);
      }
    });
    ws.writeFrame(WebSocketFrame.textFrame("héllo", true));
    ws.writeFrame(WebSocketFrame.binaryFrame(Buffer.buffer(new byte[] {0, 1, 2, (byte) 255}), true));
    ws.writeFrame(WebSocketFrame.textFrame("frag", false));
    ws.writeFrame(WebSocketFrame.continuationFrame(Buffer.buffer("ment"), true));
    four.get(10, TimeUnit.SECONDS);
    assertEquals("héllo", received.get(0).textData());
    assertEquals(Buffer.buffer(new byte[] {0, 1, 2, (byte) 255}), received.get(1).binaryData());
    assertEquals("frag", received.get(2).textData());
    assertEquals(false, received.get(2).isFinal());
    assertEquals("ment", received.get(3).binaryData().toString());
    assertEquals(true, received.get(3).isContinuation());
    assertEquals(List.of("ws-trace"), serviceSawHeaders.subList(serviceSawHeaders.size() - 1, serviceSawHeaders.size()));

    ws.close((short) 4100, "bye");
    assertEquals((short) 4100, serviceSawClose.get(10, TimeUnit.SECONDS), "the client's close code reaches the service");
  }

  @Test
  void theServicesCloseCodeReachesTheClient() throws Exception {
    WebSocket ws = await(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(gatewayPort).setURI("/ws")));
    CompletableFuture<Short> closed = new CompletableFuture<>();
    ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
    ws.writeTextMessage("close");
    assertEquals(SERVICE_CLOSE, closed.get(10, TimeUnit.SECONDS));
  }

  @Test
  void noNodeMeansAPlain503() throws Exception {
    JsonObject settings = new JsonObject().put("routes", new JsonArray().add("/ws nobody"));
    int port = await(TestGateway.deploy(cluster.node(0), settings, 1)).port("http");
    Throwable refused = await(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port).setURI("/ws"))
      .map(ws -> (Throwable) null).recover(e -> io.vertx.core.Future.succeededFuture(e)));
    assertEquals(true, refused != null && refused.getMessage().contains("503"), String.valueOf(refused));
  }
}
