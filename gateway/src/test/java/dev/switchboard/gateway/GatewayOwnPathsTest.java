package dev.switchboard.gateway;

import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * A gateway whose one route, {@code /}, takes every path: what it serves itself (probes, the
 * browser bridge, bus routes, BFF endpoints, each for the methods it serves) stays its own,
 * whichever way a request reaches the route (proxied requests of ordinary paths pass the edge
 * without the router; others go through it), and every other request reaches the node as the
 * client wrote it, with the edge's headers.
 */
class GatewayOwnPathsTest {

  private static TestCluster cluster;
  private static Vertx clientVertx;
  private static HttpClient client;
  private static final AtomicInteger served = new AtomicInteger();
  private static int gateway;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.started(2);
    Vertx node = cluster.node(1);
    await(TestGateway.serveAs(node, "http", request -> {
      served.incrementAndGet();
      request.response().putHeader("Content-Type", "application/json").end(new JsonObject()
        .put("node", true).put("uri", request.uri()).put("requestId", request.getHeader("X-Request-Id")).encode());
    }), TIMEOUT);
    gateway = await(TestGateway.deploy(cluster.node(0), new JsonObject()
      .put("routes", new JsonArray().add("/ http")), 1), TIMEOUT).port("http");
    clientVertx = TestKit.vertx();
    client = clientVertx.createHttpClient();
  }

  @AfterAll
  static void stop() throws Exception {
    TestGateway.close(clientVertx, cluster);
  }

  @ParameterizedTest
  @ValueSource(strings = {"GET /health", "GET /ready", "GET /bus/greet", "GET /bff/web/home", "GET /bff/web/home/",
    "GET /eventbus/info"})
  void theGatewaysOwnPathsAreNeverProxied(String request) throws Exception {
    String[] parts = request.split(" ");
    int before = served.get();
    Answer answer = send(HttpMethod.valueOf(parts[0]), parts[1], Map.of());
    assertEquals(before, served.get(), request + " reached the node: " + answer);
    assertFalse(answer.body().toString().contains("\"node\":true"), answer.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"/x/y?z=1", "/", "/healthz", "/eventbus", "/eventbusy", "/x//y", "/x/./y", "/x/../y", "/x/%2e%2e/y",
    "/x/%41", "/x/a\\b", "/health/../x"})
  void everyOtherPathReachesTheNodeAsWrittenWithTheEdgesHeaders(String uri) throws Exception {
    int before = served.get();
    Answer answer = send(HttpMethod.GET, uri, Map.of("X-Request-Id", "own-paths-1"));
    assertEquals(200, answer.status(), answer.toString());
    assertEquals(before + 1, served.get());
    JsonObject seen = answer.json();
    assertEquals(uri, seen.getString("uri"));
    assertEquals("own-paths-1", seen.getString("requestId"));
    assertEquals("own-paths-1", answer.headers().get("X-Request-Id"));
    assertEquals("nosniff", answer.headers().get("X-Content-Type-Options"));
  }

  private static Answer send(HttpMethod method, String uri, Map<String, String> headers) throws Exception {
    return Answer.send(clientVertx, client, gateway, method, uri, headers, null);
  }
}
