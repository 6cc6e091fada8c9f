package dev.switchboard.gateway;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.auth.IdentityHeaders;
import dev.switchboard.shared.testkit.RawHttp;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.TestTokens;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tokens at the door: routes, bus routes, WebSocket routes and {@code /eventbus} that ask for a
 * token turn away none, a forged, a foreign, an expired one (401) and one without the scope (403),
 * before any node hears of it; a good one reaches the node with the caller's subject and scopes in
 * headers no client can write.
 */
class GatewayAuthTest {

  @TempDir
  static Path dir;

  private static final TestTokens tokens = TestTokens.create("door");
  private static TestCluster cluster;
  private static Vertx clientVertx;
  private static HttpClient http;
  private static WebSocketClient sockets;
  private static int port;
  /** Requests and handshakes the node received: a refused one must not reach it. */
  private static final AtomicInteger served = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.started(2);
    Vertx node = cluster.node(1);
    await(TestGateway.serveAs(node, "http", request -> {
      if (!request.path().equals("/ready")) { // the gateway's health checks
        served.incrementAndGet();
      }
      JsonObject seen = new JsonObject();
      request.headers().forEach((name, value) -> seen.put(name.toLowerCase(Locale.ROOT), value));
      if ("websocket".equalsIgnoreCase(request.getHeader("Upgrade"))) {
        request.toWebSocket().onSuccess(ws -> ws.writeTextMessage(seen.encode()));
        return;
      }
      request.response().putHeader("Content-Type", "application/json").end(seen.encode());
    }), TIMEOUT);
    node.eventBus().consumer("who", message -> message.reply(new JsonObject()
      .put("subject", message.headers().get(IdentityHeaders.SUBJECT))
      .put("scopes", message.headers().get(IdentityHeaders.SCOPES))
      .put("token", message.headers().get("access_token"))));

    JsonObject settings = new JsonObject()
      .put("routes", new JsonArray().add("/open/ http").add("/api/ http auth=token").add("/admin/ http scopes=admin,audit")
        .add("/ws http auth=token"))
      .put("busRoutes", new JsonArray().add("GET /bus/who who scopes=chat"))
      .put("bff", new JsonArray())
      .put("eventBusAuth", true)
      .put("eventBusInbound", new JsonArray().add("who"))
      .put("eventBusOutbound", new JsonArray().add("room.*"))
      .put("eventBusScopes", new JsonArray().add("room.staff=staff"));
    port = await(TestKit.deploy(cluster.node(0), GatewayVerticle.DEFINITION, new JsonObject().put("tcpRoutes", new JsonArray()).mergeIn(settings),
      2, new IngressOptions(), TestTokens.options(tokens.writeJwks(dir.resolve("jwks.json")))), TIMEOUT).port("http");
    clientVertx = TestKit.vertx();
    http = clientVertx.createHttpClient();
    sockets = clientVertx.createWebSocketClient();
  }

  @AfterAll
  static void stop() throws Exception {
    TestGateway.close(clientVertx, cluster);
  }

  @Test
  void aRouteThatAsksForATokenTurnsAwayEveryBadOneBeforeTheNode() throws Exception {
    long now = Instant.now().getEpochSecond();
    Map<String, String> cases = new LinkedHashMap<>();
    cases.put("forged", TestTokens.create("door").token("ada"));
    cases.put("foreign issuer", tokens.sign(TestTokens.claims("ada").put("iss", "elsewhere")));
    cases.put("foreign audience", tokens.sign(TestTokens.claims("ada").put("aud", "another-app")));
    cases.put("expired", tokens.sign(TestTokens.claims("ada").put("exp", now - 120)));
    cases.put("unsigned", TestTokens.unsigned(TestTokens.claims("ada")));
    int before = served.get();
    Answer none = get("/api/x", Map.of());
    assertEquals(401, none.status(), none.toString());
    assertEquals("Bearer realm=\"switchboard\"", none.headers().get("WWW-Authenticate"));
    assertEquals("unauthorized", none.json().getString("error"));
    for (Map.Entry<String, String> bad : cases.entrySet()) {
      Answer refused = get("/api/x", Map.of("Authorization", "Bearer " + bad.getValue()));
      assertEquals(401, refused.status(), bad.getKey() + ": " + refused);
      assertTrue(refused.headers().get("WWW-Authenticate").contains("error=\"invalid_token\""), bad.getKey());
      assertEquals("application/json", refused.headers().get("Content-Type"), bad.getKey());
    }
    assertEquals("token expired", get("/api/x", Map.of("Authorization", "Bearer " + cases.get("expired"))).json().getString("reason"));
    assertEquals(401, get("/api/x", Map.of("Authorization", "Basic YWRhOnNlY3JldA==")).status(), "not a bearer token");
    assertEquals(401, get("/api/x?access_token=" + tokens.token("ada"), Map.of()).status(), "a plain request's token is in its header");
    Answer scopeless = get("/admin/x", Map.of("Authorization", "Bearer " + tokens.token("ada", "admin")));
    assertEquals(403, scopeless.status(), scopeless.toString());
    assertEquals("Bearer realm=\"switchboard\", error=\"insufficient_scope\", scope=\"audit\"", scopeless.headers().get("WWW-Authenticate"));
    assertEquals("audit", scopeless.json().getString("scope"));
    assertEquals(before, served.get(), "no refused request reached the node");
  }

  @Test
  void aGoodTokenReachesTheNodeWithTheCallersIdentityInHeadersNoClientCanWrite() throws Exception {
    Answer admitted = get("/admin/x", Map.of("Authorization", "Bearer " + tokens.token("ada", "audit", "admin", "chat"),
      IdentityHeaders.SUBJECT, "root", IdentityHeaders.SCOPES.toLowerCase(Locale.ROOT), "everything"));
    assertEquals(200, admitted.status(), admitted.toString());
    JsonObject seen = admitted.json();
    assertEquals("ada", seen.getString("x-switchboard-subject"));
    assertEquals("admin audit chat", seen.getString("x-switchboard-scopes"));
    assertTrue(seen.getString("authorization").startsWith("Bearer "), "the token goes on: a service may check it again");

    JsonObject open = get("/open/x", Map.of(IdentityHeaders.SUBJECT, "root", IdentityHeaders.SCOPES, "admin")).json();
    assertNull(open.getString("x-switchboard-subject"), "a route without a token says nobody: " + open);
    assertNull(open.getString("x-switchboard-scopes"), open.encode());
  }

  @Test
  void aBusRouteSendsTheCallersIdentityInTheMessageHeaders() throws Exception {
    assertEquals(401, get("/bus/who", Map.of()).status());
    assertEquals(403, get("/bus/who", Map.of("Authorization", "Bearer " + tokens.token("ada"))).status());
    Answer answer = get("/bus/who", Map.of("Authorization", "Bearer " + tokens.token("ada", "chat"), IdentityHeaders.SUBJECT, "root"));
    assertEquals(200, answer.status(), answer.toString());
    assertEquals(new JsonObject().put("subject", "ada").put("scopes", "chat").putNull("token"), answer.json());
  }

  @Test
  void aWebSocketRouteTakesItsTokenFromTheQueryOrTheHeader() throws Exception {
    int before = served.get();
    for (String uri : new String[] {"/ws", "/ws?access_token=" + TestTokens.create("door").token("ada"),
      "/ws?access_token=" + tokens.sign(TestTokens.claims("ada").put("exp", Instant.now().getEpochSecond() - 120))}) {
      Throwable refused = await(TestKit.onContext(clientVertx, () -> sockets.connect(new WebSocketConnectOptions()
          .setHost("127.0.0.1").setPort(port).setURI(uri))
        .map(ws -> (Throwable) null).recover(Future::succeededFuture)), TIMEOUT);
      assertInstanceOf(UpgradeRejectedException.class, refused, uri);
      assertEquals(401, ((UpgradeRejectedException) refused).getStatus(), uri);
    }
    assertEquals(before, served.get(), "no refused handshake reached the node");

    for (WebSocketConnectOptions good : new WebSocketConnectOptions[] {
      new WebSocketConnectOptions().setURI("/ws?access_token=" + tokens.token("ada", "chat")),
      new WebSocketConnectOptions().setURI("/ws").addHeader("Authorization", "Bearer " + tokens.token("ada", "chat"))}) {
      LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
      WebSocket ws = await(TestKit.onContext(clientVertx, () -> sockets.connect(good.setHost("127.0.0.1").setPort(port)
        .addHeader(IdentityHeaders.SUBJECT, "root"))
        .onSuccess(socket -> socket.textMessageHandler(frames::add))), TIMEOUT);
      String seen = frames.poll(10, TimeUnit.SECONDS);
      assertNotNull(seen, "the node's first frame");
      assertEquals("ada", new JsonObject(seen).getString("x-switchboard-subject"), seen);
      await(ws.close(), TIMEOUT);
    }
  }

  @Test
  void aPageOnTheEventBusProvesWhoItIsBeforeItsFirstFrameGoesAnywhere() throws Exception {
    // No token at all: the first frame is refused with 401 and the socket closed.
    Bus anonymous = Bus.open("/eventbus/websocket");
    anonymous.send(new JsonObject().put("type", "send").put("address", "who").put("body", new JsonObject()).put("replyAddress", "r0"));
    JsonObject refused = anonymous.next();
    assertEquals("err", refused.getString("type"));
    assertEquals(401, refused.getInteger("failureCode"));
    assertEquals("r0", refused.getString("address"));
    assertTrue(anonymous.closed(), "the socket is closed after a frame without a token");

    // A bad token in the URL: no socket at all.
    Bus forged = Bus.open("/eventbus/websocket?access_token=" + TestTokens.create("door").token("ada"));
    assertTrue(forged.closed(), "a socket with a forged token is closed at once");

    // A bad token in the first frame's headers: 401 and closed.
    Bus badFrame = Bus.open("/eventbus/websocket");
    badFrame.send(new JsonObject().put("type", "send").put("address", "who").put("body", new JsonObject()).put("replyAddress", "r1")
      .put("headers", new JsonObject().put("access_token", tokens.sign(TestTokens.claims("ada").put("aud", "x")))));
    JsonObject badRefusal = badFrame.next();
    assertEquals(401, badRefusal.getInteger("failureCode"), badRefusal.encode());
    assertEquals("unauthorized: wrong audience", badRefusal.getString("message"));
    assertTrue(badFrame.closed());
  }

  @Test
  void aPageWithAGoodTokenSendsAsItsSubjectAndReachesOnlyTheRoomsItsScopesAllow() throws Exception {
    // The token in the first frame's headers: it goes no further than the gateway.
    Bus inFrame = Bus.open("/eventbus/websocket");
    inFrame.send(new JsonObject().put("type", "send").put("address", "who").put("body", new JsonObject()).put("replyAddress", "r1")
      .put("headers", new JsonObject().put("authorization", "Bearer " + tokens.token("ada", "chat")).put(IdentityHeaders.SUBJECT, "root")));
    JsonObject reply = inFrame.nextOfType("rec");
    assertEquals(new JsonObject().put("subject", "ada").put("scopes", "chat").putNull("token"), reply.getJsonObject("body"));
    // Later frames need no token.
    inFrame.send(new JsonObject().put("type", "send").put("address", "who").put("body", new JsonObject()).put("replyAddress", "r2"));
    assertEquals("ada", inFrame.nextOfType("rec").getJsonObject("body").getString("subject"));
    inFrame.send(new JsonObject().put("type", "register").put("address", "room.staff"));
    JsonObject noScope = inFrame.nextOfType("err");
    assertEquals(403, noScope.getInteger("failureCode"), noScope.encode());
    assertEquals("room.staff", noScope.getString("address"));
    assertFalse(inFrame.closed(), "a missing scope refuses the frame, not the socket");

    // The token in the URL, with the staff scope: the staff room is open to it.
    Bus staff = Bus.open("/eventbus/websocket?access_token=" + tokens.token("bo", "staff"));
    staff.send(new JsonObject().put("type", "register").put("address", "room.staff"));
    JsonObject received = null;
    for (int i = 0; i < 50 && received == null; i++) {
      cluster.node(1).eventBus().publish("room.staff", new JsonObject().put("n", i),
        new io.vertx.core.eventbus.DeliveryOptions().addHeader(IdentityHeaders.SUBJECT, "someone").addHeader(IdentityHeaders.SCOPES, "secret"));
      received = staff.poll();
    }
    assertNotNull(received, "a page with the staff scope hears the staff room");
    assertEquals("room.staff", received.getString("address"));
    assertNull(received.getJsonObject("headers", new JsonObject()).getString(IdentityHeaders.SCOPES), "another caller's scopes stay on the bus");
  }

  @Test
  void aPagesSocketIsClosedWhenItsTokenExpires() throws Exception {
    long now = Instant.now().getEpochSecond();
    // Expiring in 2 s (the verifier allows 30 s of skew in checking, but the socket ends at exp itself).
    Bus shortLived = Bus.open("/eventbus/websocket?access_token=" + tokens.sign(TestTokens.claims("ada").put("exp", now + 2)));
    shortLived.send(new JsonObject().put("type", "send").put("address", "who").put("body", new JsonObject()).put("replyAddress", "r1"));
    assertEquals("ada", shortLived.nextOfType("rec").getJsonObject("body").getString("subject"));
    JsonObject expired = shortLived.nextOfType("err");
    assertEquals("token_expired", expired.getString("message"));
    assertTrue(shortLived.closed(), "closed once the token expired");
  }

  @Test
  void aHandshakeWithAMalformedOrDoubledTokenIsRefused() throws Exception {
    int before = served.get();
    for (String[] query : new String[][] {{"access_token=%zz", "400", "malformed query string"},
      {"access_token=a&access_token=b", "401", "unauthorized"}, {"access_token=", "401", "unauthorized"}}) {
      try (RawHttp raw = RawHttp.connect(port)) {
        RawHttp.Response refused = raw.write("GET /ws?" + query[0] + " HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").read();
        assertEquals(Integer.parseInt(query[1]), refused.status(), query[0] + ": " + refused.head());
        assertEquals(query[2], new JsonObject(refused.text()).getString("error"), query[0]);
      }
    }
    assertEquals(before, served.get(), "no refused handshake reached the node");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"websocket, query", "websocket, headers", "xhr-polling, query", "xhr-streaming, headers"})
  void theVertxEventBusClientCarriesItsTokenInTheUrlOrInItsFirstFramesHeaders(String transport, String mode) throws Exception {
    List<String> log = new ArrayList<>();
    Process node;
    try {
      node = new ProcessBuilder("node", "bus-auth.mjs", "http://127.0.0.1:" + port + "/eventbus", transport, mode, tokens.token("ada", "chat"))
        .directory(Path.of("src", "test", "browser").toFile())
        .redirectErrorStream(true)
        .start();
    } catch (java.io.IOException e) {
      throw new AssertionError("cannot run node (install Node.js 18+): " + e.getMessage(), e);
    }
    try (java.io.BufferedReader out = node.inputReader()) {
      boolean finished = node.waitFor(60, TimeUnit.SECONDS);
      if (!finished) {
        node.destroyForcibly();
      }
      out.lines().forEach(log::add);
      assertTrue(finished, "the client did not finish: " + String.join("\n", log));
    }
    assertEquals(0, node.exitValue(), String.join("\n", log));
    assertTrue(log.stream().anyMatch(line -> line.equals("OK " + transport + " " + mode)), String.join("\n", log));
  }

  private static Answer get(String uri, Map<String, String> headers) throws Exception {
    return Answer.send(clientVertx, http, port, HttpMethod.GET, uri, headers, null);
  }

  /** A page on the raw WebSocket transport of {@code /eventbus}: frames are the bridge's JSON. */
  private record Bus(WebSocket ws, LinkedBlockingQueue<JsonObject> frames, io.vertx.core.Promise<Void> ended) {

    static Bus open(String uri) throws Exception {
      LinkedBlockingQueue<JsonObject> frames = new LinkedBlockingQueue<>();
      io.vertx.core.Promise<Void> ended = io.vertx.core.Promise.promise();
      WebSocket ws = await(TestKit.onContext(clientVertx, () -> sockets.connect(new WebSocketConnectOptions()
          .setHost("127.0.0.1").setPort(port).setURI(uri))
        .onSuccess(socket -> {
          socket.textMessageHandler(text -> frames.add(new JsonObject(text)));
          socket.binaryMessageHandler(data -> frames.add(data.toJsonObject()));
          socket.closeHandler(v -> ended.tryComplete());
        })), TIMEOUT);
      return new Bus(ws, frames, ended);
    }

    void send(JsonObject frame) {
      ws.writeTextMessage(frame.encode());
    }

    JsonObject next() throws InterruptedException {
      JsonObject frame = frames.poll(10, TimeUnit.SECONDS);
      assertNotNull(frame, "no frame within 10 s");
      return frame;
    }

    JsonObject poll() throws InterruptedException {
      return frames.poll(100, TimeUnit.MILLISECONDS);
    }

    JsonObject nextOfType(String type) throws InterruptedException {
      for (int i = 0; i < 20; i++) {
        JsonObject frame = next();
        if (type.equals(frame.getString("type"))) {
          return frame;
        }
      }
      throw new AssertionError("no " + type + " frame");
    }

    /** Whether the gateway closes the socket within 10 s. */
    boolean closed() {
      try {
        await(ended.future(), Duration.ofSeconds(10));
        return true;
      } catch (Exception e) {
        return false;
      }
    }
  }
}
