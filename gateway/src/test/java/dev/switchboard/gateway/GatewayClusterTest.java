package dev.switchboard.gateway;

import dev.switchboard.http.HttpVerticle;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A gateway on one node of an in-JVM cluster in front of three http nodes, found through the
 * cluster's service registry: how each policy spreads requests, and what clients see when a node
 * goes away or none is left.
 */
class GatewayClusterTest {

  private static final int HTTP_NODES = 3;
  private static final int REQUESTS = 300;
  private static final int CONCURRENCY = 12;

  private static TestCluster cluster;
  private static Vertx clientVertx;
  private static HttpClient client;
  private static final List<Integer> httpPorts = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = TestCluster.started(HTTP_NODES + 1);
    for (int i = 1; i <= HTTP_NODES; i++) {
      Vertx node = cluster.node(i);
      TestKit.Deployed http = await(TestKit.deploy(node, HttpVerticle.DEFINITION, new JsonObject(), 1), TIMEOUT);
      await(ServiceRegistry.announce(node, http.runtime()), TIMEOUT);
      httpPorts.add(http.port("http"));
    }
    clientVertx = TestKit.vertx();
    client = clientVertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
      new PoolOptions().setHttp1MaxSize(CONCURRENCY));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    TestGateway.close(clientVertx, cluster);
  }

  @Test
  void roundRobinGivesEveryNodeItsThird() throws Exception {
    Gateway gateway = gateway("/ http policy=round-robin", 2);
    List<Integer> statuses = load(gateway.port, REQUESTS, Map.of());
    assertEquals(0, statuses.stream().filter(s -> s != 200).count(), () -> failures(statuses));
    Map<String, Double> spread = gateway.perBackend();
    assertEquals(HTTP_NODES, spread.size(), spread.toString());
    for (double count : spread.values()) {
      assertTrue(Math.abs(count - REQUESTS / 3.0) <= REQUESTS / 3.0 * 0.10, "not within 10 % of a third: " + spread);
    }
    Map<String, Double> instances = gateway.perInstance();
    assertEquals(2, instances.size(), instances.toString());
    assertTrue(instances.values().stream().allMatch(n -> n > 0), "every gateway instance serves: " + instances);
    Map<String, Double> eventLoops = gateway.perEventLoop();
    assertEquals(2, eventLoops.size(), "each instance serves on an event loop of its own (two cores): " + eventLoops);
  }

  @Test
  void leastRequestsAndPowerOfTwoUseEveryNode() throws Exception {
    for (String policy : List.of("least-requests", "power-of-two")) {
      Gateway gateway = gateway("/ http policy=" + policy, 1);
      List<Integer> statuses = load(gateway.port, REQUESTS, Map.of());
      assertEquals(0, statuses.stream().filter(s -> s != 200).count(), () -> policy + ": " + failures(statuses));
      Map<String, Double> spread = gateway.perBackend();
      assertEquals(HTTP_NODES, spread.size(), policy + ": " + spread);
      assertTrue(spread.values().stream().allMatch(n -> n < REQUESTS * 0.6), policy + " piles onto one node: " + spread);
    }
  }

  @Test
  void consistentHashPinsEachKeyToOneNode() throws Exception {
    Gateway gateway = gateway("/ http policy=consistent-hash hash=header:X-User", 1);
    Map<String, Double> before = gateway.perBackend();
    Map<String, String> home = new HashMap<>();
    for (int user = 0; user < 30; user++) {
      for (int repeat = 0; repeat < 5; repeat++) {
        assertEquals(200, await(get(gateway.port, "/", Map.of("X-User", "user-" + user, "X-Request-Id", "ch-" + user + "-" + repeat)), TIMEOUT));
        Map<String, Double> after = gateway.perBackend();
        String served = changed(before, after);
        before = after;
        String previous = home.putIfAbsent("user-" + user, served);
        assertTrue(previous == null || previous.equals(served), "user-" + user + " moved from " + previous + " to " + served);
      }
    }
    assertTrue(home.values().stream().distinct().count() >= 2, "30 keys all on one node: " + home);
  }

  @Test
  void bodiesStreamThroughBothWays() throws Exception {
    Gateway gateway = gateway("/ http", 1);
    byte[] bytes = new byte[8 * 1024 * 1024 + 7];
    new java.util.Random(42).nextBytes(bytes);
    io.vertx.core.buffer.Buffer body = io.vertx.core.buffer.Buffer.buffer(bytes);
    for (boolean chunked : List.of(false, true)) {
      var echoed = await(TestKit.onContext(clientVertx, () -> client.request(HttpMethod.POST, gateway.port, "127.0.0.1", "/echo")
        .compose(r -> {
          r.setChunked(chunked);
          return r.send(body);
        })
        .compose(r -> r.body().map(b -> Map.entry(r.statusCode(), b)))), TIMEOUT);
      assertEquals(200, echoed.getKey(), "chunked=" + chunked);
      assertEquals(body, echoed.getValue(), "chunked=" + chunked + ": the body came back changed");
    }
  }

  @Test
  void requestIdsArePassedOnOrMade() throws Exception {
    Gateway gateway = gateway("/ http", 1);
    var given = await(TestKit.onContext(clientVertx, () -> client.request(new RequestOptions().setPort(gateway.port).setHost("127.0.0.1").setURI("/")
      .putHeader("X-Request-Id", "trace-42")).compose(r -> r.send()).compose(r -> r.body().map(b -> r))), TIMEOUT);
    assertEquals("trace-42", given.getHeader("X-Request-Id"));
    var made = await(TestKit.onContext(clientVertx, () -> client.request(new RequestOptions().setPort(gateway.port).setHost("127.0.0.1").setURI("/")
      .putHeader("X-Request-Id", "bad id with spaces")).compose(r -> r.send()).compose(r -> r.body().map(b -> r))), TIMEOUT);
    assertTrue(made.getHeader("X-Request-Id").matches("[0-9a-f-]{36}"), made.getHeader("X-Request-Id"));
  }

  @Test
  void noNodeMeans503WithRetryAfterAndAJsonBody() throws Exception {
    Gateway gateway = gateway("/ nothing", 1);
    var response = await(TestKit.onContext(clientVertx, () -> client.request(HttpMethod.GET, gateway.port, "127.0.0.1", "/x")
      .compose(r -> r.send()).compose(r -> r.body().map(b -> r))), TIMEOUT);
    JsonObject body = await(response.body(), TIMEOUT).toJsonObject();
    assertEquals(503, response.statusCode());
    assertEquals("2", response.getHeader("Retry-After"));
    assertEquals("no nothing node is available", body.getString("error"));
    assertEquals(response.getHeader("X-Request-Id"), body.getString("requestId"));

    var unrouted = await(TestKit.onContext(clientVertx, () -> client.request(HttpMethod.GET, gateway.port, "127.0.0.1", "/health")
      .compose(r -> r.send()).compose(r -> r.body().map(b -> r))), TIMEOUT);
    assertEquals(200, unrouted.statusCode(), "the gateway's own /health is not proxied");
  }

  // ---- helpers

  /**
   * A gateway under test and its counters. The metrics registry is the JVM's, shared with the
   * gateways of other tests, so counts are taken relative to the moment it started.
   */
  private record Gateway(int port, MeterRegistry meters, Map<String, Double> backendsAtStart, Map<String, Double> instancesAtStart,
                         Map<String, Double> eventLoopsAtStart) {

    Gateway(int port, MeterRegistry meters) {
      this(port, meters, counts(meters, "switchboard.gateway.requests", "backend"),
        counts(meters, "switchboard.gateway.instance.requests", "instance"),
        counts(meters, "switchboard.gateway.instance.requests", "eventLoop"));
    }

    Map<String, Double> perEventLoop() {
      return since(counts(meters, "switchboard.gateway.instance.requests", "eventLoop"), eventLoopsAtStart);
    }

    Map<String, Double> perBackend() {
      return since(counts(meters, "switchboard.gateway.requests", "backend"), backendsAtStart);
    }

    Map<String, Double> perInstance() {
      return since(counts(meters, "switchboard.gateway.instance.requests", "instance"), instancesAtStart);
    }

    private static Map<String, Double> counts(MeterRegistry meters, String name, String tag) {
      Map<String, Double> counts = new TreeMap<>();
      for (Counter c : meters.find(name).counters()) {
        counts.merge(c.getId().getTag(tag), c.count(), Double::sum);
      }
      return counts;
    }

    private static Map<String, Double> since(Map<String, Double> now, Map<String, Double> start) {
      Map<String, Double> delta = new TreeMap<>();
      now.forEach((key, count) -> {
        double d = count - start.getOrDefault(key, 0.0);
        if (d > 0) {
          delta.put(key, d);
        }
      });
      return delta;
    }
  }

  private static Gateway gateway(String route, int instances) throws Exception {
    JsonObject settings = new JsonObject().put("routes", new JsonArray().add(route)).put("healthInterval", "2s");
    TestKit.Deployed deployed = await(TestGateway.deploy(cluster.node(0), settings, instances), TIMEOUT);
    // The registry is read when the gateway starts; every node is known before it serves.
    return new Gateway(deployed.port("http"), deployed.runtime().meters());
  }

  /** {@code count} GETs of {@code /}, {@code CONCURRENCY} at a time; the status of each. */
  static List<Integer> load(int port, int count, Map<String, String> headers) throws Exception {
    List<Integer> statuses = new ArrayList<>();
    for (int sent = 0; sent < count; sent += CONCURRENCY) {
      List<Future<Integer>> wave = new ArrayList<>();
      for (int i = 0; i < Math.min(CONCURRENCY, count - sent); i++) {
        wave.add(get(port, "/", headers).recover(e -> Future.succeededFuture(-1)));
      }
      for (Future<Integer> f : wave) {
        statuses.add(await(f, TIMEOUT));
      }
    }
    return statuses;
  }

  private static Future<Integer> get(int port, String uri, Map<String, String> headers) {
    RequestOptions options = new RequestOptions().setHost("127.0.0.1").setPort(port).setURI(uri);
    headers.forEach(options::putHeader);
    return TestKit.onContext(clientVertx, () -> client.request(options).compose(r -> r.send()).compose(r -> r.body().map(b -> r.statusCode())));
  }

  /** How many of each non-200 status, e.g. {@code {503=300}}. */
  static String failures(List<Integer> statuses) {
    Map<Integer, Integer> counts = new TreeMap<>();
    statuses.stream().filter(s -> s != 200).forEach(s -> counts.merge(s, 1, Integer::sum));
    return "non-200 answers: " + counts;
  }

  private static String changed(Map<String, Double> before, Map<String, Double> after) {
    for (Map.Entry<String, Double> e : after.entrySet()) {
      if (!e.getValue().equals(before.getOrDefault(e.getKey(), 0.0))) {
        return e.getKey();
      }
    }
    throw new AssertionError("no backend counted the request: " + after);
  }

  static Duration since(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }
}
