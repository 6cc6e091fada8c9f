package dev.switchboard.gateway;

import dev.switchboard.http.HttpVerticle;
import dev.switchboard.shared.registry.ServiceDirectory;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.switchboard.gateway.GatewayClusterTest.failures;
import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A service node that leaves the cluster while the gateway sends it traffic. */
class GatewayFailoverTest {

  private static final Logger log = LoggerFactory.getLogger(GatewayFailoverTest.class);
  private static final int REQUESTS = 600;
  private static final int CONCURRENCY = 12;
  /** The stop starts after this many requests, so that the node leaves mid-load. */
  private static final int STOP_AFTER = 120;
  /** A node that leaves is out of the registry's view within this (README: failover). */
  private static final Duration GONE_WITHIN = Duration.ofSeconds(5);

  private TestCluster cluster;
  private Vertx clientVertx;

  @AfterEach
  void tearDown() throws Exception {
    TestGateway.close(clientVertx, cluster);
  }

  @Test
  void getsDoNotFailWhenANodeLeavesMidLoadAndItIsForgottenQuickly() throws Exception {
    cluster = TestCluster.started(3);
    for (int i = 1; i <= 2; i++) {
      TestKit.Deployed http = await(TestKit.deploy(cluster.node(i), HttpVerticle.DEFINITION, new JsonObject(), 1), TIMEOUT);
      await(ServiceRegistry.announce(cluster.node(i), http.runtime()), TIMEOUT);
    }
    JsonObject settings = new JsonObject().put("routes", new JsonArray().add("/ http retries=2")).put("healthInterval", "1s");
    int port = await(TestGateway.deploy(cluster.node(0), settings, 2), TIMEOUT).port("http");
    ServiceDirectory directory = await(ServiceDirectory.start(cluster.node(0)), TIMEOUT);
    assertEquals(2, directory.instances("http").size());

    clientVertx = TestKit.vertx();
    HttpClient client = clientVertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
      new PoolOptions().setHttp1MaxSize(CONCURRENCY));
    Promise<Duration> forgotten = Promise.promise();
    List<Integer> statuses = new ArrayList<>();
    long stopAt = 0;
    for (int sent = 0; sent < REQUESTS; sent += CONCURRENCY) {
      if (sent >= STOP_AFTER && stopAt == 0) {
        stopAt = System.nanoTime();
        long started = stopAt;
        directory.onChange(() -> {
          if (directory.instances("http").size() == 1) {
            forgotten.tryComplete(Duration.ofNanos(System.nanoTime() - started));
          }
        });
        cluster.stop(2); // not awaited: the load goes on while the node drains and leaves
      }
      List<Future<Integer>> wave = new ArrayList<>();
      for (int i = 0; i < CONCURRENCY; i++) {
        wave.add(TestKit.onContext(clientVertx, () -> client.request(new RequestOptions().setHost("127.0.0.1").setPort(port).setURI("/"))
          .compose(r -> r.send()).compose(r -> r.body().map(b -> r.statusCode())))
          .recover(e -> Future.succeededFuture(-1)));
      }
      for (Future<Integer> f : wave) {
        statuses.add(await(f, TIMEOUT));
      }
    }
    Duration gone = await(forgotten.future(), Duration.ofSeconds(30));
    log.info("node left mid-load: {} requests, {}; out of the registry after {} ms", statuses.size(), failures(statuses), gone.toMillis());
    assertEquals(0, statuses.stream().filter(s -> s != 200).count(), () -> failures(statuses));
    assertTrue(gone.compareTo(GONE_WITHIN) < 0, "the node stayed in the registry for " + gone);
    await(directory.close(), TIMEOUT);
  }
}
