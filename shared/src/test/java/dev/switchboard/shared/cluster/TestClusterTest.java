package dev.switchboard.shared.cluster;

import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.ops.Operations;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class TestClusterTest {

  private static TestCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = TestCluster.started(2);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    TestKit.await(cluster.close(), Duration.ofSeconds(60));
  }

  @Test
  void deliversRequestsBetweenMembersOnLoopback(VertxTestContext ctx) {
    Vertx a = cluster.node(0);
    Vertx b = cluster.node(1);
    assertTrue(cluster.name().startsWith("test-"));
    a.eventBus().<String>consumer("greet", m -> m.reply("hello " + m.body())).completion()
      .compose(v -> b.eventBus().<String>request("greet", "b"))
      .onComplete(ctx.succeeding(reply -> ctx.verify(() -> {
        assertEquals("hello b", reply.body());
        ctx.completeNow();
      })));
  }

  @Test
  void readinessIncludesTheClusterWhenClustered(VertxTestContext ctx) {
    Vertx node = cluster.node(0);
    ServiceRuntime runtime = ServiceRuntime.create("probe", TestKit.TEST_GRACE);
    runtime.serving();
    node.createHttpServer().requestHandler(Operations.router(node, runtime)).listen(0, "127.0.0.1")
      .compose(server -> WebClient.create(node).get(server.actualPort(), "127.0.0.1", Operations.READY).send()
        .eventually(server::close))
      .onComplete(ctx.succeeding(response -> ctx.verify(() -> {
        assertEquals(200, response.statusCode(), response.bodyAsString());
        JsonObject body = response.bodyAsJsonObject();
        assertTrue(body.getJsonArray("checks").stream()
          .map(JsonObject.class::cast)
          .anyMatch(check -> "cluster".equals(check.getString("id")) && "UP".equals(check.getString("status"))), body.encode());
        ctx.completeNow();
      })));
  }

  @Test
  void readinessIsDownUntilServingAndWhileDraining(VertxTestContext ctx) {
    Vertx node = cluster.node(1);
    ServiceRuntime runtime = ServiceRuntime.create("probe", TestKit.TEST_GRACE);
    WebClient web = WebClient.create(node);
    node.createHttpServer().requestHandler(Operations.router(node, runtime)).listen(0, "127.0.0.1")
      .compose(server -> web.get(server.actualPort(), "127.0.0.1", Operations.READY).send()
        .compose(starting -> {
          runtime.serving();
          return web.get(server.actualPort(), "127.0.0.1", Operations.READY).send()
            .compose(serving -> {
              runtime.draining();
              return web.get(server.actualPort(), "127.0.0.1", Operations.READY).send()
                .map(draining -> new int[] {starting.statusCode(), serving.statusCode(), draining.statusCode()});
            });
        })
        .eventually(server::close))
      .onComplete(ctx.succeeding(codes -> ctx.verify(() -> {
        assertEquals(503, codes[0]);
        assertEquals(200, codes[1]);
        assertEquals(503, codes[2]);
        ctx.completeNow();
      })));
  }
}
