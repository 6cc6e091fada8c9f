package dev.switchboard.gateway;

import dev.switchboard.echo.EchoVerticle;
import dev.switchboard.http.HttpVerticle;
import dev.switchboard.shared.registry.ServiceRecord;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The admin port's {@code /prometheus/targets} on a real cluster: a gateway, an http node (metrics on
 * its HTTP port) and an echo node (metrics on its admin port), each announced in the registry as the
 * launcher announces it. Every process is listed at the address that really serves its
 * {@code /metrics}, and a node that leaves the cluster leaves the list.
 */
class GatewayScrapeTargetsTest {

  /** The registry reaches the gateway's view by a published change: at once, but not synchronously. */
  private static final Duration VIEW = Duration.ofSeconds(15);
  private static final Duration POLL = Duration.ofMillis(100);

  private TestCluster cluster;
  private Vertx clientVertx;
  private HttpClient client;
  private int adminPort;
  private ServiceRecord gateway;
  private ServiceRecord http;
  private ServiceRecord echo;

  @BeforeEach
  void start() throws Exception {
    cluster = TestCluster.started(3);
    gateway = announce(cluster.node(0), await(TestGateway.deploy(cluster.node(0),
      new JsonObject().put("routes", new JsonArray().add("/ http")), 1), TIMEOUT));
    http = announce(cluster.node(1), await(TestKit.deploy(cluster.node(1), HttpVerticle.DEFINITION, new JsonObject(), 1), TIMEOUT));
    echo = announce(cluster.node(2), await(TestKit.deploy(cluster.node(2), EchoVerticle.DEFINITION, new JsonObject(), 1), TIMEOUT));
    adminPort = gateway.ports().get("admin");
    clientVertx = TestKit.vertx();
    client = clientVertx.createHttpClient();
  }

  @AfterEach
  void stop() throws Exception {
    TestGateway.close(clientVertx, cluster);
  }

  @Test
  void listsEveryProcessAtItsMetricsEndpointForPrometheus() throws Exception {
    Answer answer = targetsUntil(groups -> groups.size() == 3);
    assertEquals(200, answer.status());
    assertEquals("application/json", answer.headers().get("Content-Type"));
    // By service name: echo, gateway, http; each at the port that serves its /metrics.
    JsonArray expected = new JsonArray()
      .add(group("127.0.0.1:" + echo.ports().get("admin"), echo))
      .add(group("127.0.0.1:" + adminPort, gateway))
      .add(group("127.0.0.1:" + http.ports().get("http"), http));
    assertEquals(expected, answer.body().toJsonArray());

    for (Object group : expected) {
      String target = ((JsonObject) group).getJsonArray("targets").getString(0);
      int port = Integer.parseInt(target.substring(target.lastIndexOf(':') + 1));
      Answer metrics = Answer.send(clientVertx, client, port, HttpMethod.GET, "/metrics", Map.of(), null);
      assertEquals(200, metrics.status(), target + ": " + metrics);
      assertTrue(metrics.headers().get("Content-Type").startsWith("text/plain"), target + ": " + metrics.headers());
      assertTrue(metrics.body().toString().contains("# TYPE "), target);
    }
  }

  @Test
  void aNodeThatLeavesTheClusterLeavesTheTargets() throws Exception {
    targetsUntil(groups -> groups.size() == 3);
    await(cluster.stop(2), TIMEOUT);
    JsonArray groups = targetsUntil(g -> g.size() == 2).body().toJsonArray();
    List<String> services = groups.stream()
      .map(g -> ((JsonObject) g).getJsonObject("labels").getString("service"))
      .toList();
    assertEquals(List.of("gateway", "http"), services, groups.encode());
  }

  /** Asks for the targets until {@code done} holds for them, for at most {@link #VIEW}; that answer. */
  private Answer targetsUntil(Predicate<JsonArray> done) throws Exception {
    return TestKit.awaitPoll(() -> Answer.send(clientVertx, client, adminPort, HttpMethod.GET, "/prometheus/targets", Map.of(), null),
      answer -> answer.status() == 200 && done.test(answer.body().toJsonArray()), POLL, VIEW, "the targets the test waits for");
  }

  private static ServiceRecord announce(Vertx node, TestKit.Deployed deployed) throws Exception {
    return await(ServiceRegistry.announce(node, deployed.runtime()), TIMEOUT);
  }

  private static JsonObject group(String target, ServiceRecord record) {
    return new JsonObject()
      .put("targets", new JsonArray().add(target))
      .put("labels", new JsonObject()
        .put("service", record.service())
        .put("node", record.node())
        .put("__metrics_path__", "/metrics"));
  }
}
