package dev.switchboard.gateway;

import dev.switchboard.shared.testkit.RawHttp;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Browsers on the bus through the gateway's {@code /eventbus}: the Vert.x project's own clients
 * (npm {@code sockjs-client} and {@code @vertx/eventbus-bridge-client.js}, run by Node.js) over
 * each SockJS transport, the permissions with refusals the caller hears at once, and the Origin rule.
 */
class GatewayBrowserBridgeTest {

  private static final Path BROWSER_DIR = Path.of("src", "test", "browser");
  private static final long CLIENT_SECONDS = 60;
  private static final String LISTED = "https://app.example.com";

  private static TestCluster cluster;
  private static Vertx clientVertx;
  private static WebSocketClient sockets;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.started(2);
    Vertx node = cluster.node(1);
    // Replies, then publishes what it got on the room the page listens to.
    node.eventBus().<JsonObject>consumer("t.echo", m -> {
      m.reply(m.body());
      node.eventBus().publish("chat.room.bus", new JsonObject().put("echoed", m.body().getString("from")));
    });
    node.eventBus().consumer("t.secret", m -> m.reply(new JsonObject().put("secret", true)));
    JsonObject settings = new JsonObject()
      .put("routes", new JsonArray())
      .put("eventBusOutbound", new JsonArray().add("chat.room.*").add("files.changed"))
      .put("eventBusInbound", new JsonArray().add("t.echo"))
      .put("eventBusOrigins", new JsonArray().add(LISTED));
    port = await(TestGateway.deploy(cluster.node(0), settings, 2), TIMEOUT).port("http");
    clientVertx = TestKit.vertx();
    sockets = clientVertx.createWebSocketClient();
  }

  @AfterAll
  static void stop() throws Exception {
    TestGateway.close(clientVertx, cluster);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"websocket", "xhr-streaming", "xhr-polling"})
  void theVertxEventBusClientWorksOverEachTransport(String transport) throws Exception {
    Process node;
    try {
      node = new ProcessBuilder("node", "bus.mjs", "http://127.0.0.1:" + port + "/eventbus", transport)
        .directory(BROWSER_DIR.toFile())
        .redirectErrorStream(true)
        .start();
    } catch (IOException e) {
      throw new AssertionError("cannot run node (install Node.js 18+): " + e.getMessage(), e);
    }
    List<String> log = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
      boolean finished = node.waitFor(CLIENT_SECONDS, TimeUnit.SECONDS);
      if (!finished) {
        node.destroyForcibly();
      }
      out.lines().forEach(log::add);
      assertTrue(finished, "the client did not finish: " + String.join("\n", log));
    }
    log.forEach(line -> System.out.println("[bus.mjs] " + line)); // timings, in the test's report
    assertEquals(0, node.exitValue(), String.join("\n", log));
    assertTrue(log.stream().anyMatch(line -> line.startsWith("OK " + transport)), String.join("\n", log));
  }

  @Test
  void refusalsAreAddressedToTheCallerOverTheRawWebSocketTransport() throws Exception {
    LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
    WebSocket ws = await(TestKit.onContext(clientVertx, () -> sockets.connect(port, "127.0.0.1", "/eventbus/websocket")), TIMEOUT);
    ws.binaryMessageHandler(data -> frames.add(data.toJsonObject()));
    ws.textMessageHandler(text -> frames.add(new JsonObject(text)));

    ws.writeTextMessage(frame("register", "secret.room").encode());
    JsonObject denied = next(frames);
    assertEquals(new JsonObject().put("type", "err").put("address", "secret.room").put("failureCode", 403)
      .put("failureType", "RECIPIENT_FAILURE").put("message", "access_denied"), denied, "addressed to the handler");
    assertEquals("access_denied", next(frames).getString("body"), "then vertx-web's own");

    ws.writeTextMessage(frame("register", "chat.room.lobby").encode());
    JsonObject received = null;
    for (int i = 0; i < 50 && received == null; i++) {
      cluster.node(1).eventBus().publish("chat.room.lobby", new JsonObject().put("text", "hello " + i));
      received = frames.poll(100, TimeUnit.MILLISECONDS);
    }
    assertNotNull(received, "a page registered on chat.room.lobby gets what is published there");
    assertEquals("rec", received.getString("type"));
    assertEquals("chat.room.lobby", received.getString("address"));

    ws.writeTextMessage(frame("send", "t.secret").put("body", new JsonObject()).put("replyAddress", "r1").encode());
    JsonObject refused = nextOfType(frames, "err");
    assertEquals("r1", refused.getString("address"), "the refusal goes to the request's reply address");
    assertEquals("access_denied", refused.getString("message"));

    ws.writeTextMessage(frame("send", "t.echo").put("body", new JsonObject().put("from", "raw")).put("replyAddress", "r2").encode());
    JsonObject reply = nextOfType(frames, "rec", "r2");
    assertEquals(new JsonObject().put("from", "raw"), reply.getJsonObject("body"));
    await(ws.close(), TIMEOUT);
  }

  @Test
  void pagesOfOtherOriginsAreRefusedBeforeAnySession() throws Exception {
    assertEquals(403, info("https://evil.example").status());
    RawHttp.Response refused = info("https://evil.example");
    assertEquals("origin not allowed on /eventbus", new JsonObject(refused.text()).getString("error"));
    assertEquals(200, info(LISTED).status(), "a listed origin");
    assertEquals(200, info("http://127.0.0.1:" + port).status(), "the gateway's own origin");
    assertEquals(200, info(null).status(), "no Origin: not a page");
    try (RawHttp raw = RawHttp.connect(port)) {
      RawHttp.Response streaming = raw.write("POST /eventbus/000/evilsession/xhr_streaming HTTP/1.1\r\nHost: 127.0.0.1:" + port
        + "\r\nOrigin: https://evil.example\r\nContent-Length: 0\r\n\r\n").read();
      assertEquals(403, streaming.status(), streaming.head());
    }
    Throwable upgrade = await(TestKit.onContext(clientVertx, () -> sockets.connect(new WebSocketConnectOptions()
        .setHost("127.0.0.1").setPort(port).setURI("/eventbus/websocket").addHeader("Origin", "https://evil.example"))
      .map(ws -> (Throwable) null).recover(io.vertx.core.Future::succeededFuture)), TIMEOUT);
    assertTrue(upgrade != null && upgrade.getMessage().contains("403"), String.valueOf(upgrade));
  }

  @Test
  void transportsAPageLoadsWithoutAnOriginAreNotServed() throws Exception {
    for (String path : List.of("/eventbus/iframe.html", "/eventbus/iframe-1.6.1.html")) {
      try (RawHttp raw = RawHttp.connect(port)) {
        assertEquals(404, raw.write("GET " + path + " HTTP/1.1\r\nHost: h\r\n\r\n").read().status(), path);
      }
    }
    for (String transport : List.of("jsonp?c=cb", "htmlfile?c=cb")) {
      try (RawHttp raw = RawHttp.connect(port)) {
        RawHttp.Response answer = raw.write("GET /eventbus/000/nooriginsession/" + transport + " HTTP/1.1\r\nHost: h\r\n\r\n").readHead();
        assertEquals(404, answer.status(), transport + ": " + answer.head());
      }
    }
  }

  @Test
  void anHttpTransportsSendOverTheLimitIs413() throws Exception {
    String session = "/eventbus/000/bigsession";
    try (RawHttp open = RawHttp.connect(port)) {
      assertEquals(200, open.write("POST " + session + "/xhr HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n").read().status());
    }
    byte[] big = ("[\"" + "x".repeat(70 * 1024) + "\"]").getBytes(StandardCharsets.US_ASCII);
    try (RawHttp send = RawHttp.connect(port)) {
      send.write("POST " + session + "/xhr_send HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: " + big.length + "\r\n\r\n");
      send.write(big);
      assertEquals(413, send.read().status());
    }
  }

  private static RawHttp.Response info(String origin) throws IOException {
    try (RawHttp raw = RawHttp.connect(port)) {
      return raw.write("GET /eventbus/info HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
        + (origin == null ? "" : "Origin: " + origin + "\r\n") + "\r\n").read();
    }
  }

  private static JsonObject frame(String type, String address) {
    return new JsonObject().put("type", type).put("address", address);
  }

  private static JsonObject next(LinkedBlockingQueue<JsonObject> frames) throws InterruptedException {
    JsonObject frame = frames.poll(10, TimeUnit.SECONDS);
    assertNotNull(frame, "no frame within 10 s");
    return frame;
  }

  /** The next frame of {@code type} (addressed to {@code address} if given), skipping what earlier steps still send. */
  private static JsonObject nextOfType(LinkedBlockingQueue<JsonObject> frames, String type, String... address) throws InterruptedException {
    for (int i = 0; i < 100; i++) {
      JsonObject frame = next(frames);
      if (type.equals(frame.getString("type")) && !"chat.room.lobby".equals(frame.getString("address"))
        && (address.length == 0 || address[0].equals(frame.getString("address")))) {
        return frame;
      }
    }
    throw new AssertionError("no " + type + " frame");
  }
}
