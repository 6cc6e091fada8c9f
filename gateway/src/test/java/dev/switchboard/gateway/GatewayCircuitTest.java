package dev.switchboard.gateway;

import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A node that fails opens its circuit, rests, and gets traffic again once it answers well. */
class GatewayCircuitTest {

  private static final int EJECT_AFTER = 3;
  private static final Duration LIMIT = Duration.ofSeconds(15);

  private TestCluster cluster;
  private Vertx clientVertx;

  @AfterEach
  void tearDown() throws Exception {
    TestGateway.close(clientVertx, cluster);
  }

  @Test
  void aFailingNodesCircuitOpensThenClosesWhenItRecovers() throws Exception {
    cluster = TestCluster.started(3);
    AtomicBoolean failing = new AtomicBoolean(true);
    AtomicInteger flakyHits = new AtomicInteger();
    AtomicInteger steadyHits = new AtomicInteger();
    service(cluster.node(1), flakyHits, failing);
    service(cluster.node(2), steadyHits, new AtomicBoolean(false));
    JsonObject settings = new JsonObject()
      .put("routes", new JsonArray().add("/ flaky retries=0"))
      .put("ejectAfter", EJECT_AFTER)
      .put("ejectFor", "1s")
      .put("healthInterval", "10s");
    int port = await(TestGateway.deploy(cluster.node(0), settings, 1), TIMEOUT).port("http");
    clientVertx = TestKit.vertx();
    HttpClient client = clientVertx.createHttpClient();

    int failures = 0;
    for (int i = 0; i < 30; i++) {
      failures += await(get(client, port), TIMEOUT) == 500 ? 1 : 0;
    }
    assertEquals(EJECT_AFTER, failures, "the failing node's circuit opens after " + EJECT_AFTER + " failures");
    assertEquals(EJECT_AFTER, flakyHits.get(), "no request reaches an open circuit");
    assertEquals(30 - EJECT_AFTER, steadyHits.get());

    // Healthy again: after its rest, one trial request closes the circuit and traffic comes back.
    failing.set(false);
    TestKit.awaitPoll(() -> {
      assertEquals(200, await(get(client, port), TIMEOUT));
      return flakyHits.get();
    }, hits -> hits >= EJECT_AFTER + 5, Duration.ofMillis(20), LIMIT, "the recovered node gets traffic back");
  }

  /** An http-like node that counts its requests and answers 500 while {@code failing}. */
  private static void service(Vertx node, AtomicInteger hits, AtomicBoolean failing) throws Exception {
    int port = await(TestGateway.serveAs(node, "flaky", request -> {
      if (request.path().equals("/ready")) {
        request.response().end("ready");
        return;
      }
      hits.incrementAndGet();
      request.response().setStatusCode(failing.get() ? 500 : 200).end();
    }), TIMEOUT);
  }

  private Future<Integer> get(HttpClient client, int port) {
    return TestKit.onContext(clientVertx, () -> client.request(HttpMethod.GET, port, "127.0.0.1", "/x")
      .compose(r -> r.send())
      .compose(r -> r.body().map(b -> r.statusCode())));
  }
}
