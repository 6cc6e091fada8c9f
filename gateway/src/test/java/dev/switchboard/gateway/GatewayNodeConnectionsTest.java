package dev.switchboard.gateway;

import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The gateway's connections to a node: kept alive and reused one request at a time, never more
 * than {@code maxConnections} per instance, and not reused after the node said it closes them.
 */
class GatewayNodeConnectionsTest {

  private static final int REQUESTS = 20;

  private TestCluster cluster;
  private Vertx clientVertx;
  /** The gateway's ports the node saw requests come from: one per connection. */
  private final Set<Integer> connections = ConcurrentHashMap.newKeySet();

  @AfterEach
  void tearDown() throws Exception {
    TestGateway.close(clientVertx, cluster);
  }

  @Test
  void requestsOneAfterTheOtherShareOneConnection() throws Exception {
    int port = gateway(1000, request -> request.response().end("ok"));
    HttpClient client = clientVertx.createHttpClient();
    for (int i = 0; i < REQUESTS; i++) {
      assertEquals(200, await(post(client, port), TIMEOUT));
    }
    assertEquals(1, connections.size(), "the node saw connections from ports " + connections);
  }

  @Test
  void concurrentRequestsWaitForTheOnlyConnectionAllowed() throws Exception {
    int port = gateway(1, request -> request.response().end("ok"));
    HttpClient client = clientVertx.createHttpClient(new PoolOptions().setHttp1MaxSize(REQUESTS));
    List<Future<Integer>> answers = new ArrayList<>();
    for (int i = 0; i < REQUESTS; i++) {
      answers.add(post(client, port));
    }
    for (Future<Integer> answer : answers) {
      assertEquals(200, await(answer, TIMEOUT));
    }
    assertEquals(1, connections.size(), "the node saw connections from ports " + connections);
  }

  @Test
  void aConnectionTheNodeClosesIsNotUsedAgain() throws Exception {
    int port = gateway(1000, request -> request.response().putHeader(HttpHeaders.CONNECTION, "close").end("ok"));
    HttpClient client = clientVertx.createHttpClient();
    // POST is not replayable: a request sent on a connection the node closed would be a 502.
    for (int i = 0; i < REQUESTS; i++) {
      assertEquals(200, await(post(client, port), TIMEOUT), "request " + i);
    }
    assertEquals(REQUESTS, connections.size(), "a connection per request");
  }

  /** A gateway with one instance in front of one node answering with {@code answer}; its port. */
  private int gateway(int maxConnections, Handler<HttpServerRequest> answer) throws Exception {
    cluster = TestCluster.started(2);
    await(TestGateway.serveAs(cluster.node(1), "things", request -> {
      if (request.path().equals("/ready")) {
        request.response().end("ready");
        return;
      }
      connections.add(request.remoteAddress().port());
      request.body().onSuccess(body -> answer.handle(request));
    }), TIMEOUT);
    JsonObject settings = new JsonObject()
      .put("routes", new JsonArray().add("/ things"))
      .put("maxConnections", maxConnections)
      .put("healthInterval", "10s");
    int port = await(TestGateway.deploy(cluster.node(0), settings, 1), TIMEOUT).port("http");
    clientVertx = TestKit.vertx();
    return port;
  }

  private Future<Integer> post(HttpClient client, int port) {
    return TestKit.onContext(clientVertx, () -> client.request(HttpMethod.POST, port, "127.0.0.1", "/x")
      .compose(r -> r.send("a body"))
      .compose(r -> r.body().map(b -> r.statusCode())));
  }
}
