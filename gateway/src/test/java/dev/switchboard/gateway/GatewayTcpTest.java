package dev.switchboard.gateway;

import dev.switchboard.echo.EchoVerticle;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's TCP port in front of three echo nodes of an in-JVM cluster: connections spread
 * round-robin, bytes come back unchanged both ways with backpressure and half-close (also with
 * reads after the client's FIN), a node that leaves gets no new connections, with no node a
 * connection is closed at once, and one over the route's limit is closed while the others go on.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayTcpTest {

  private static final int ECHO_NODES = 3;
  private static final int CONNECTIONS = 30;
  private static final int SOCKET_TIMEOUT_MS = 10_000;

  private static TestCluster cluster;
  private static MeterRegistry meters;
  private static int port;
  private static int nowhere;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.started(ECHO_NODES + 1);
    for (int i = 1; i <= ECHO_NODES; i++) {
      TestKit.Deployed echo = await(TestKit.deploy(cluster.node(i), EchoVerticle.DEFINITION, new JsonObject(), 1), TIMEOUT);
      await(ServiceRegistry.announce(cluster.node(i), echo.runtime()), TIMEOUT);
    }
    TestKit.Deployed gateway = await(TestGateway.deploy(cluster.node(0), new JsonObject()
      .put("tcpRoutes", new JsonArray().add("0 echo")).put("healthInterval", "500ms"), 2), TIMEOUT);
    port = gateway.port("tcp-echo");
    meters = gateway.runtime().meters();
    nowhere = await(TestGateway.deploy(cluster.node(0), new JsonObject()
      .put("tcpRoutes", new JsonArray().add("0 nothing")), 1), TIMEOUT).port("tcp-nothing");
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      await(cluster.close(), TIMEOUT);
    }
  }

  @Test
  @Order(1)
  void connectionsSpreadRoundRobinAndEachGetsItsBytesBack() throws Exception {
    Map<String, Double> before = perBackend();
    for (int i = 0; i < CONNECTIONS; i++) {
      byte[] sent = ("hello " + i + "\n").getBytes(StandardCharsets.UTF_8);
      assertArrayEquals(sent, roundTrip(sent), "connection " + i);
    }
    Map<String, Double> spread = since(before, perBackend());
    assertEquals(ECHO_NODES, spread.size(), spread.toString());
    spread.values().forEach(n -> assertEquals(CONNECTIONS / ECHO_NODES, n, 0.0, "round-robin: " + spread));
  }

  @Test
  @Order(2)
  void eightMebibytesComeBackByteForByteThroughBothRelays() throws Exception {
    byte[] sent = new byte[8 << 20];
    new Random(7).nextBytes(sent);
    assertTrue(Arrays.equals(sent, roundTrip(sent)), "the payload came back changed");
  }

  @Test
  @Order(3)
  void theClientStillReadsAfterItShutsItsOutput() throws Exception {
    // An echo while both sides are open, then FIN from the client: what it wrote before still comes back.
    try (Socket socket = open(port)) {
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      out.write("one\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      assertEquals("one\n", new String(in.readNBytes(4), StandardCharsets.UTF_8));
      out.write("two\n".getBytes(StandardCharsets.UTF_8));
      socket.shutdownOutput();
      assertEquals("two\n", new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  @Order(4)
  void aNodeThatLeavesGetsNoNewConnections() throws Exception {
    await(cluster.stop(ECHO_NODES), TIMEOUT);
    // Bounded: the node leaves the registry within a second or two; until then a connection to it
    // fails over to another node (its port is closed), so no connection fails either way.
    TestKit.awaitPoll(() -> {
      Map<String, Double> before = perBackend();
      for (int i = 0; i < 6; i++) {
        byte[] sent = ("after " + i).getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(sent, roundTrip(sent), "connection " + i + " after a node left");
      }
      return since(before, perBackend());
    }, spread -> spread.size() == ECHO_NODES - 1, Duration.ZERO, Duration.ofSeconds(15), "the remaining nodes share the connections");
  }

  @Test
  @Order(5)
  void withNoNodeTheConnectionIsClosedAtOnce() throws Exception {
    try (Socket socket = open(nowhere)) {
      assertEquals(-1, socket.getInputStream().read(), "closed without a byte");
    }
  }

  @Test
  @Order(6)
  void aConnectionOverTheRouteLimitIsClosedAndTheOthersGoOn() throws Exception {
    TestKit.Deployed limited = await(TestGateway.deploy(cluster.node(0), new JsonObject()
      .put("tcpRoutes", new JsonArray().add("0 echo maxConnections=1")), 1), TIMEOUT);
    MeterRegistry registry = limited.runtime().meters();
    double rejectedBefore = rejected(registry);
    try (Socket first = open(limited.port("tcp-echo"))) {
      first.getOutputStream().write("first\n".getBytes(StandardCharsets.UTF_8));
      assertEquals("first\n", new String(first.getInputStream().readNBytes(6), StandardCharsets.UTF_8), "the first is served");
      try (Socket second = open(limited.port("tcp-echo"))) {
        second.getOutputStream().write("second\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(-1, second.getInputStream().read(), "the second is closed without a byte");
      }
      assertEquals(rejectedBefore + 1, rejected(registry), 0.0, "the refusal is counted");
      first.getOutputStream().write("still\n".getBytes(StandardCharsets.UTF_8));
      assertEquals("still\n", new String(first.getInputStream().readNBytes(6), StandardCharsets.UTF_8), "the first goes on");
    }
  }

  private static double rejected(MeterRegistry registry) {
    Counter counter = registry.find("switchboard.gateway.tcp.echo.connections.rejected").counter();
    return counter == null ? 0 : counter.count();
  }

  private static Socket open(int to) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", to), SOCKET_TIMEOUT_MS);
    socket.setSoTimeout(SOCKET_TIMEOUT_MS);
    return socket;
  }

  /** Sends {@code bytes} through the gateway, half-closes, and reads until the echo ends. */
  private static byte[] roundTrip(byte[] bytes) throws Exception {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), SOCKET_TIMEOUT_MS);
      socket.setSoTimeout(SOCKET_TIMEOUT_MS);
      // Written from another thread: the echo comes back while we write.
      CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
        try {
          OutputStream out = socket.getOutputStream();
          out.write(bytes);
          out.flush();
          socket.shutdownOutput();
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });
      ByteArrayOutputStream received = new ByteArrayOutputStream(bytes.length);
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[64 * 1024];
      int n;
      while ((n = in.read(buffer)) != -1) {
        received.write(buffer, 0, n);
      }
      written.get(SOCKET_TIMEOUT_MS, TimeUnit.MILLISECONDS);
      return received.toByteArray();
    }
  }

  private static Map<String, Double> perBackend() {
    Map<String, Double> counts = new TreeMap<>();
    for (Counter c : meters.find("switchboard.gateway.requests").tag("route", "tcp-echo").tag("status", "2xx").counters()) {
      counts.merge(c.getId().getTag("backend"), c.count(), Double::sum);
    }
    return counts;
  }

  private static Map<String, Double> since(Map<String, Double> before, Map<String, Double> after) {
    Map<String, Double> delta = new TreeMap<>();
    after.forEach((k, v) -> {
      double d = v - before.getOrDefault(k, 0.0);
      if (d > 0) {
        delta.put(k, d);
      }
    });
    return delta;
  }
}
