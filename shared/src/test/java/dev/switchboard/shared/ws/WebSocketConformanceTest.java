package dev.switchboard.shared.ws;

import dev.switchboard.shared.testkit.RawWebSocket;
import dev.switchboard.shared.testkit.RawWebSocket.Request;
import dev.switchboard.shared.testkit.RawWebSocket.Response;
import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.WebSocketCorpus;
import dev.switchboard.shared.testkit.WebSocketCorpus.Target;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketFrameType;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The smallest server built on {@code shared.ws}: the handshake check, the guard, and an echo of
 * every data frame written past Vert.x as chat writes (through the guard, not honouring any
 * backpressure). It passes the whole corpus, which is how the corpus itself is checked to hold
 * against a server that does the right thing.
 */
class WebSocketConformanceTest {

  private static final String PATH = "/echo";
  private static final WebSocketLimits LIMITS = new WebSocketLimits(16 * 1024, 64 * 1024, 64 * 1024, 10, 20);

  private Vertx vertx;
  private int port;
  private final ConcurrentLinkedQueue<WebSocketFrameType> seenByVertx = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void startEchoServer() throws Exception {
    vertx = Vertx.vertx();
    HttpServer server = vertx.createHttpServer(LIMITS.applyTo(new HttpServerOptions().setHost("127.0.0.1").setPort(0)))
      .requestHandler(request -> {
        if (WebSocketHandshake.refuse(request)) {
          return;
        }
        request.toWebSocket().onSuccess(ws -> {
          WebSocketGuard guard = WebSocketGuard.install(ws, LIMITS, WebSocketGuard.Listener.NONE);
          ws.frameHandler(frame -> {
            seenByVertx.add(frame.type());
            if (frame.isText() || frame.isBinary() || frame.isContinuation()) {
              guard.write(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(frame.binaryData().getBytes())));
              guard.flush();
            }
          });
        });
      });
    port = TestKit.await(server.listen(), Duration.ofSeconds(10)).actualPort();
  }

  @AfterEach
  void stop() throws Exception {
    TestKit.await(vertx.close(), Duration.ofSeconds(10));
  }

  private Target target() {
    byte[] echoed = new byte[LIMITS.maxFrame()];
    Arrays.fill(echoed, (byte) 'e');
    return Target.of("127.0.0.1", port, PATH, LIMITS).withPush(reader -> () -> {
      try {
        reader.frame(true, 0, RawWebSocket.BINARY, echoed);
      } catch (IOException e) {
        // cut off already: the corpus finds out without reading
      }
    });
  }

  @TestFactory
  Stream<DynamicTest> echoServerPassesTheRfc6455Corpus() {
    return WebSocketCorpus.tests(target());
  }

  @Test
  void corpusCasesHaveUniqueNamesAndCoverEveryArea() {
    Set<String> names = new HashSet<>();
    WebSocketCorpus.cases().forEach(c -> assertTrue(names.add(c.name()), "duplicate " + c.name()));
    assertTrue(names.size() >= 45, names.size() + " cases");
    for (String area : new String[] {"handshake/", "framing/", "close/", "utf8/", "limits/", "deflate/", "flood/"}) {
      assertTrue(names.stream().anyMatch(n -> n.startsWith(area)), area);
    }
  }

  @Test
  void refusedHandshakesAreAnsweredWithJson() throws Exception {
    Request base = Request.upgrade("127.0.0.1", port, PATH);
    Response post = RawWebSocket.exchange("127.0.0.1", port, base.method("POST").set("Content-Length", "0"));
    assertEquals(405, post.status());
    assertEquals("GET", post.header("Allow"));
    assertEquals("method not allowed", new JsonObject(post.body()).getString("error"));

    Response version = RawWebSocket.exchange("127.0.0.1", port, Request.upgrade("127.0.0.1", port, PATH).set("Sec-WebSocket-Version", "8"));
    assertEquals(426, version.status());
    assertEquals("application/json", version.header("Content-Type"));
    assertEquals("8", new JsonObject(version.body()).getString("version"));

    Response key = RawWebSocket.exchange("127.0.0.1", port, Request.upgrade("127.0.0.1", port, PATH).set("Sec-WebSocket-Key", "c2hvcnQ="));
    assertEquals(400, key.status());
    assertEquals("invalid Sec-WebSocket-Key", new JsonObject(key.body()).getString("error"));

    Response plain = RawWebSocket.exchange("127.0.0.1", port, Request.upgrade("127.0.0.1", port, PATH).without("Upgrade"));
    assertEquals(426, plain.status());
    assertEquals("WebSocket upgrade required", new JsonObject(plain.body()).getString("error"));
  }

  @Test
  void pingsAreAnsweredByTheGuardAndNeverReachVertx() throws Exception {
    try (RawWebSocket ws = RawWebSocket.connect("127.0.0.1", port, PATH)) {
      ws.roundTrip(new byte[] {4, 2});
      ws.text("after the ping");
      assertEquals(RawWebSocket.BINARY, ws.awaitOpcode(RawWebSocket.BINARY).opcode());
    }
    assertEquals(WebSocketFrameType.TEXT, seenByVertx.peek());
    assertFalse(seenByVertx.contains(WebSocketFrameType.PING));
  }

  @Test
  void pongsToAPeerThatNeverReadsAreBoundedByTheWriteQueue() throws Exception {
    // Pings allowed as fast as they come: only the write-queue bound stops the pongs piling up.
    WebSocketLimits unlimitedPings = LIMITS.withWriteQueueMax(16 * 1024).withPings(WebSocketLimits.MAX_PINGS, WebSocketLimits.MAX_PINGS);
    ConcurrentLinkedQueue<WebSocketGuard.Refusal> refusals = new ConcurrentLinkedQueue<>();
    HttpServer server = vertx.createHttpServer(unlimitedPings.applyTo(new HttpServerOptions().setHost("127.0.0.1").setPort(0)))
      .requestHandler(request -> request.toWebSocket()
        .onSuccess(ws -> WebSocketGuard.install(ws, unlimitedPings, refusals::add)));
    int floodPort = TestKit.await(server.listen(), Duration.ofSeconds(10)).actualPort();
    WebSocketCorpus.Case flood = WebSocketCorpus.cases().stream().filter(c -> c.name().equals("flood/pings-never-read")).findFirst().orElseThrow();
    flood.check().run(Target.of("127.0.0.1", floodPort, PATH, unlimitedPings));
    assertEquals(List.of(WebSocketGuard.Refusal.NOT_READING), List.copyOf(refusals));
  }

  @Test
  void onAClientWebSocketTheGuardAnswersPingsAndRefusesAServerSendingBadUtf8() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      ConcurrentLinkedQueue<WebSocketGuard.Refusal> refusals = new ConcurrentLinkedQueue<>();
      WebSocketClient client = vertx.createWebSocketClient(LIMITS.applyTo(new WebSocketClientOptions()));
      Future<WebSocket> connected = client.connect(listener.getLocalPort(), "127.0.0.1", PATH)
        .onSuccess(ws -> {
          WebSocketGuard.install(ws, LIMITS, refusals::add);
          ws.writeTextMessage("guarded");
        });
      try (Socket server = listener.accept()) {
        server.setSoTimeout(10_000);
        DataInputStream in = new DataInputStream(server.getInputStream());
        OutputStream out = server.getOutputStream();
        String key = null;
        for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
          if (line.toLowerCase().startsWith("sec-websocket-key:")) {
            key = line.substring(line.indexOf(':') + 1).trim();
          }
        }
        out.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
          + RawWebSocket.acceptFor(key) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        assertEquals("guarded", new String(readClientFrame(in, RawWebSocket.TEXT), StandardCharsets.UTF_8));
        out.write(RawWebSocket.encode(true, 0, RawWebSocket.PING, new byte[] {7, 7}, false));
        out.flush();
        assertArrayEquals(new byte[] {7, 7}, readClientFrame(in, RawWebSocket.PONG));
        out.write(RawWebSocket.encode(true, 0, RawWebSocket.TEXT, new byte[] {(byte) 0xC3, 0x28}, false));
        out.flush();
        byte[] close = readClientFrame(in, RawWebSocket.CLOSE);
        assertEquals(1007, ((close[0] & 0xff) << 8) | (close[1] & 0xff));
        assertEquals(-1, in.read(), "the client dropped the connection after its close frame");
      }
      TestKit.await(connected, Duration.ofSeconds(10));
      // Heard before the channel closed, so before the end of stream read above.
      assertEquals(List.of(WebSocketGuard.Refusal.INVALID_UTF8), List.copyOf(refusals));
    }
  }

  private static String readLine(DataInputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new EOFException();
      }
      if (b != '\r') {
        line.append((char) b);
      }
    }
    return line.toString();
  }

  /** The payload of the next frame from the client (masked, as a client must), which must have {@code opcode}. */
  private static byte[] readClientFrame(DataInputStream in, int opcode) throws IOException {
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    assertEquals(opcode, b0 & 0x0f, "opcode");
    assertTrue((b1 & 0x80) != 0, "a client's frame is masked");
    int length = b1 & 0x7f;
    byte[] mask = new byte[4];
    in.readFully(mask);
    byte[] payload = new byte[length];
    in.readFully(payload);
    for (int i = 0; i < length; i++) {
      payload[i] ^= mask[i & 3];
    }
    return payload;
  }

  @Test
  void keysAreTheBase64OfSixteenBytes() {
    assertTrue(WebSocketHandshake.isValidKey("dGhlIHNhbXBsZSBub25jZQ=="));
    assertTrue(WebSocketHandshake.isValidKey(" dGhlIHNhbXBsZSBub25jZQ== "));
    assertFalse(WebSocketHandshake.isValidKey("dGhlIHNhbXBsZSBub25jZQ"));
    assertFalse(WebSocketHandshake.isValidKey("dGhlIHNhbXBsZSBub25jZSE="));
    assertFalse(WebSocketHandshake.isValidKey("dGhlIHNhbXBsZSBub25jZQ=!"));
    assertFalse(WebSocketHandshake.isValidKey(""));
    assertFalse(WebSocketHandshake.isValidKey(null));
  }
}
