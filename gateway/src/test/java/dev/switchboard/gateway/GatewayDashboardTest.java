package dev.switchboard.gateway;

import dev.switchboard.gateway.config.Policy;
import dev.switchboard.gateway.upstream.TrafficStats;
import dev.switchboard.http.HttpVerticle;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.Browsers;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard: its state as JSON after known traffic, its page and assets, and the page in real
 * headless Chromium ({@code /usr/bin/chromium}, or {@code CHROMIUM}), driven by playwright-core from
 * {@code src/test/browser} (installed with {@code npm ci} there) while a node is stopped under it.
 */
class GatewayDashboardTest {

  private static final Path BROWSER_DIR = Path.of("src", "test", "browser");
  private static final long BROWSER_SECONDS = 90;
  private static final int REQUESTS = 50;

  private TestCluster cluster;
  private Vertx clientVertx;
  private HttpClient client;
  private int port;
  private int adminPort;

  @BeforeEach
  void start() throws Exception {
    cluster = TestCluster.started(3);
    for (int i = 1; i <= 2; i++) {
      TestKit.Deployed http = await(TestKit.deploy(cluster.node(i), HttpVerticle.DEFINITION, new JsonObject(), 1), TIMEOUT);
      await(ServiceRegistry.announce(cluster.node(i), http.runtime()), TIMEOUT);
    }
    TestKit.Deployed gateway = await(TestGateway.deploy(cluster.node(0),
      new JsonObject().put("routes", new JsonArray().add("/ http")).put("healthInterval", "500ms"), 2), TIMEOUT);
    port = gateway.port("http");
    adminPort = gateway.port("admin");
    clientVertx = TestKit.vertx();
    client = clientVertx.createHttpClient();
  }

  @AfterEach
  void stop() throws Exception {
    TestGateway.close(clientVertx, cluster);
  }

  @Test
  void theStateCountsEveryRequestPerRouteAndNode() throws Exception {
    for (int i = 0; i < REQUESTS; i++) {
      assertEquals(200, get("/").status());
    }
    // The figures cover whole seconds: wait (bounded) until the second of the last request is past.
    JsonObject state = TestKit.awaitPoll(() -> admin("/dashboard/state").json(),
      answer -> sum(answer.getJsonArray("routes").getJsonObject(0).getJsonArray("history")) == REQUESTS,
      Duration.ofMillis(200), Duration.ofSeconds(10), "every request in the route's history");
    JsonObject route = state.getJsonArray("routes").getJsonObject(0);
    assertEquals("/", route.getString("route"));
    assertEquals("http", route.getString("service"));
    assertEquals(TrafficStats.HISTORY_SECONDS, route.getJsonArray("history").size());
    assertEquals(REQUESTS, sum(route.getJsonArray("history")), route.encode());
    assertEquals(0.0, route.getDouble("errorRate"));
    assertTrue(route.getDouble("p99Ms") > 0 && route.getDouble("p99Ms") >= route.getDouble("p50Ms"), route.encode());

    assertEquals(3, state.getJsonArray("members").size());
    assertEquals(1, state.getJsonArray("members").stream().filter(m -> ((JsonObject) m).getBoolean("local")).count());
    List<JsonObject> nodes = state.getJsonArray("nodes").stream().map(JsonObject.class::cast)
      .filter(n -> n.getString("service").equals("http")).toList();
    assertEquals(2, nodes.size(), state.encode());
    for (JsonObject node : nodes) {
      assertEquals(true, node.getBoolean("ready"), node.encode());
      assertEquals("closed", node.getString("circuit"));
      assertTrue(node.getJsonObject("traffic").containsKey("rps"), node.encode());
    }
  }

  @Test
  void thePageAndItsAssetsAreServedWithAStrictPolicy() throws Exception {
    Answer redirect = admin("/dashboard");
    assertEquals(302, redirect.status());
    assertEquals("/dashboard/", redirect.headers().get("Location"));
    Answer page = admin("/dashboard/");
    assertEquals(200, page.status());
    assertTrue(page.headers().get("Content-Type").startsWith("text/html"), page.headers().get("Content-Type"));
    assertTrue(page.headers().get("Content-Security-Policy").contains("default-src 'none'"));
    assertTrue(page.body().toString().contains("<script src=\"dashboard.js\"></script>"));
    for (String asset : List.of("/dashboard/dashboard.js", "/dashboard/dashboard.css")) {
      assertEquals(200, admin(asset).status(), asset);
    }
    assertEquals(404, admin("/dashboard/missing.js").status());
  }

  @Test
  void theDashboardInChromiumShowsTheNodesTheirTrafficAndAStoppedNodeGoing(@TempDir Path profile) throws Exception {
    String chromium = Browsers.chromium(BROWSER_DIR);
    Process node;
    try {
      node = new ProcessBuilder("node", "dashboard.mjs", "http://127.0.0.1:" + port, "http://127.0.0.1:" + adminPort, chromium,
          profile.toString())
        .directory(BROWSER_DIR.toFile())
        .redirectErrorStream(true)
        .start();
    } catch (IOException e) {
      throw new AssertionError("cannot run node (install Node.js 18+): " + e.getMessage(), e);
    }
    List<String> log = new CopyOnWriteArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8));
         OutputStream in = node.getOutputStream()) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BROWSER_SECONDS);
      Thread watchdog = new Thread(() -> {
        try {
          if (!node.waitFor(BROWSER_SECONDS, TimeUnit.SECONDS)) {
            node.descendants().forEach(ProcessHandle::destroyForcibly);
            node.destroyForcibly();
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      watchdog.setDaemon(true);
      watchdog.start();
      String line;
      while ((line = out.readLine()) != null) {
        log.add(line);
        if (line.equals("stop-node")) {
          await(cluster.stop(2), TIMEOUT);
          in.write("node-stopped\n".getBytes(StandardCharsets.UTF_8));
          in.flush();
        }
      }
      assertTrue(node.waitFor(Math.max(1, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime())), TimeUnit.SECONDS),
        "browser test did not finish: " + String.join("\n", log));
      assertEquals(0, node.exitValue(), String.join("\n", log));
      assertTrue(log.stream().anyMatch(l -> l.startsWith("OK ")), String.join("\n", log));
    }
  }

  private Answer get(String uri) throws Exception {
    return Answer.send(clientVertx, client, port, HttpMethod.GET, uri, Map.of(), null);
  }

  private Answer admin(String uri) throws Exception {
    return Answer.send(clientVertx, client, adminPort, HttpMethod.GET, uri, Map.of(), null);
  }

  private static long sum(JsonArray numbers) {
    return numbers.stream().mapToLong(n -> ((Number) n).longValue()).sum();
  }
}
