package dev.switchboard.gateway;

import dev.switchboard.http.HttpVerticle;
import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.HttpEdgeChecks;
import dev.switchboard.shared.testkit.RawHttp;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's door for HTTP/1.1: RFC 9112 framing (400 or 501, and the connection closed), a
 * time limit on request heads that 200 slowloris connections cannot outlast while others are
 * served, a bound on the connections one client holds, and metric labels no client can grow.
 */
class GatewayIngressTest {

  private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(1);
  private static final int SLOW_CLIENTS = 200;
  private static final int PER_CLIENT = 50;
  private static final int ODD_METHODS = 3_000;

  private static TestCluster cluster;
  private static int httpPort;
  private static int port;
  private static int adminPort;
  /** The same gateway with a bound on connections per client. */
  private static int boundedPort;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.started(2);
    TestKit.Deployed http = await(TestKit.deploy(cluster.node(1), HttpVerticle.DEFINITION, new JsonObject(), 1), TIMEOUT);
    await(ServiceRegistry.announce(cluster.node(1), http.runtime()), TIMEOUT);
    httpPort = http.port("http");
    IngressOptions ingress = new IngressOptions(HEAD_TIMEOUT, List.of());
    JsonObject routes = new JsonObject().put("routes", new JsonArray().add("/ http"));
    TestKit.Deployed gateway = await(TestGateway.deploy(cluster.node(0), routes.copy().put("maxConnectionsPerClient", 0), 2, ingress), TIMEOUT);
    port = gateway.port("http");
    adminPort = gateway.port("admin");
    boundedPort = await(TestGateway.deploy(cluster.node(0), routes.copy().put("maxConnectionsPerClient", PER_CLIENT), 1, ingress), TIMEOUT)
      .port("http");
  }

  @AfterAll
  static void stop() throws Exception {
    TestGateway.close(null, cluster);
  }

  @ParameterizedTest(name = "{0} → {2}")
  @CsvSource(delimiter = '|', value = {
    "CL with TE        | Content-Length: 5\\r\\nTransfer-Encoding: chunked | 400",
    "xchunked          | Transfer-Encoding: xchunked                   | 400",
    "chunked, identity | Transfer-Encoding: chunked, identity          | 400",
    "gzip, chunked     | Transfer-Encoding: gzip, chunked              | 501",
    "two Host headers  | Host: other.example                           | 400"})
  void badFramingIsRefusedAndTheConnectionClosed(String name, String headers, int status) throws Exception {
    try (RawHttp raw = RawHttp.connect(port)) {
      raw.write("POST /echo HTTP/1.1\r\nHost: gateway\r\n" + headers.replace("\\r\\n", "\r\n") + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
      RawHttp.Response answer = raw.read();
      assertEquals(status, answer.status(), answer.head() + answer.text());
      assertTrue(new JsonObject(answer.text()).containsKey("error"), answer.text());
      assertTrue(raw.closedByServer(), "the connection is closed after the refusal");
    }
  }

  @Test
  void theAdminPortIsHeldToTheSameRules() throws Exception {
    HttpEdgeChecks.refusesLengthWithChunked(adminPort);
    HttpEdgeChecks.timesOutAHalfHead(adminPort, HEAD_TIMEOUT);
  }

  @Test
  void slowlorisConnectionsAreClosedWithinTheHeadTimeoutWhileOthersAreServed() throws Exception {
    HttpEdgeChecks.closesSlowloris(port, HEAD_TIMEOUT, SLOW_CLIENTS);
  }

  @Test
  void oneClientHoldsAtMostItsBoundOfConnectionsWhileAnotherIsServed() throws Exception {
    List<RawHttp> held = new ArrayList<>();
    try {
      for (int i = 0; i < PER_CLIENT; i++) {
        held.add(RawHttp.connect("127.0.0.2", boundedPort).write("GET / HTTP/1.1\r\n"));
      }
      try (RawHttp over = RawHttp.connect("127.0.0.2", boundedPort)) {
        RawHttp.Response refused = over.read();
        assertEquals(429, refused.status(), refused.head());
        assertEquals("too many connections from this client", new JsonObject(refused.text()).getString("error"));
        assertTrue(over.closedByServer());
      }
      try (RawHttp other = RawHttp.connect("127.0.0.3", boundedPort)) {
        assertEquals(200, other.write("GET / HTTP/1.1\r\nHost: gateway\r\n\r\n").read().status(), "another client is served");
      }
    } finally {
      for (RawHttp client : held) {
        client.close();
      }
    }
    // Its connections closed, the client may connect again (the gateway sees the closes soon after).
    TestKit.awaitPoll(() -> {
      try (RawHttp again = RawHttp.connect("127.0.0.2", boundedPort)) {
        return again.write("GET / HTTP/1.1\r\nHost: gateway\r\n\r\n").read().status();
      }
    }, status -> status == 200, Duration.ZERO, Duration.ofSeconds(10), "the client's slots come back");
  }

  @Test
  void threeThousandOddMethodsGrowNeitherTheGatewaysMetricsNorTheServices() throws Exception {
    Random random = new Random(7);
    send(port, oddMethods(random, 10));
    metrics(adminPort);
    metrics(httpPort);
    String gatewayBefore = metrics(adminPort);
    String serviceBefore = metrics(httpPort);
    send(port, oddMethods(random, ODD_METHODS));
    String gatewayAfter = metrics(adminPort);
    String serviceAfter = metrics(httpPort);
    assertEquals(series(gatewayBefore), series(gatewayAfter), "the gateway's request series");
    assertEquals(series(serviceBefore), series(serviceAfter), "the service's series labelled by method");
    assertTrue(Math.abs(gatewayAfter.length() - gatewayBefore.length()) < 1024,
      "gateway /metrics " + gatewayBefore.length() + " -> " + gatewayAfter.length());
  }

  private static String[] oddMethods(Random random, int count) {
    String[] methods = new String[count];
    for (int i = 0; i < count; i++) {
      methods[i] = "M" + Long.toString(random.nextLong() & Long.MAX_VALUE, 36).toUpperCase();
    }
    return methods;
  }

  /** Sends the requests on keep-alive connections, a hundred pipelined at a time, and reads every answer. */
  private static void send(int port, String[] methods) throws Exception {
    for (int from = 0; from < methods.length; from += 100) {
      try (RawHttp raw = RawHttp.connect(port)) {
        StringBuilder requests = new StringBuilder();
        int to = Math.min(methods.length, from + 100);
        for (int i = from; i < to; i++) {
          requests.append(methods[i]).append(" /nowhere HTTP/1.1\r\nHost: gateway\r\n\r\n");
        }
        raw.write(requests.toString());
        for (int i = from; i < to; i++) {
          raw.read();
        }
      }
    }
  }

  private static String metrics(int port) throws Exception {
    try (RawHttp raw = RawHttp.connect(port)) {
      return raw.write("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n").read().text();
    }
  }

  /** The request series of a Prometheus page (the gateway's, and those labelled by method), without their values. */
  private static Set<String> series(String page) {
    Set<String> series = new TreeSet<>();
    for (String line : page.split("\n")) {
      if (!line.startsWith("#") && (line.contains("method=") || line.startsWith("switchboard_gateway_request"))) {
        series.add(line.substring(0, line.lastIndexOf(' ')));
      }
    }
    return series;
  }
}
