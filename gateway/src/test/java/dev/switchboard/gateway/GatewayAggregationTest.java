package dev.switchboard.gateway;

import dev.switchboard.gateway.compose.BusEndpoints;
import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the gateway answers itself from the cluster: bus routes (HTTP in, a bus request out), BFF
 * endpoints composing several services with one part slow and one failing, field selection per
 * front-end.
 */
class GatewayAggregationTest {

  /** The slow consumer answers after this; the parts asking it give up long before. */
  private static final long SLOW_MS = 10_000;

  private static TestCluster cluster;
  private static Vertx clientVertx;
  private static HttpClient client;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.started(2);
    Vertx node = cluster.node(1);
    node.eventBus().consumer("t.echo", m -> m.reply(m.body()));
    node.eventBus().consumer("t.slow", m -> node.setTimer(SLOW_MS, t -> m.reply(new JsonObject())));
    node.eventBus().consumer("t.fail", m -> m.fail(409, "already taken"));
    node.eventBus().consumer("t.rooms", m -> m.reply(new JsonObject().put("rooms", new JsonArray()
      .add(new JsonObject().put("room", "lobby").put("members", 2).put("last", new JsonObject().put("text", "hi"))))));
    int pagesPort = await(node.createHttpServer().requestHandler(request -> request.response()
      .putHeader("Content-Type", "application/json")
      .end(new JsonObject().put("items", new JsonArray()
        .add(new JsonObject().put("id", 1).put("name", "a"))
        .add(new JsonObject().put("id", 2).put("name", "b"))).put("path", request.uri()).encode()))
      .listen(0, "127.0.0.1"), TIMEOUT).actualPort();
    ServiceRuntime pages = ServiceRuntime.create("pages", Duration.ofSeconds(1));
    pages.listening("http", "http://127.0.0.1:" + pagesPort);
    await(ServiceRegistry.announce(node, pages), TIMEOUT);

    JsonObject settings = new JsonObject()
      .put("routes", new JsonArray())
      .put("busRoutes", new JsonArray().add("GET /bus/echo t.echo").add("POST /bus/echo t.echo")
        .add("GET /bus/slow t.slow timeout=200ms").add("GET /bus/fail t.fail").add("GET /bus/none t.none"))
      .put("bff", new JsonArray()
        .add("/bff/web/home rooms=bus:t.rooms page=get:pages/page?x=1 echo=bus:t.echo@300ms slow=bus:t.slow@200ms broken=bus:t.fail")
        .add("/bff/mobile/home rooms=bus:t.rooms[rooms.room|rooms.members] page=get:pages/page[items.id]")
        .add("/bff/down/home slow=bus:t.slow@100ms none=bus:t.none gone=get:nothing/x"));
    port = await(TestGateway.deploy(cluster.node(0), settings, 2), TIMEOUT).port("http");
    clientVertx = TestKit.vertx();
    client = clientVertx.createHttpClient();
  }

  @AfterAll
  static void stop() throws Exception {
    TestGateway.close(clientVertx, cluster);
  }

  @Test
  void busRoutesAnswerHttpWithABusRequest() throws Exception {
    Answer get = send(HttpMethod.GET, "/bus/echo?name=Ada&tag=a&tag=b", null);
    assertEquals(200, get.status());
    assertEquals(new JsonObject().put("name", "Ada").put("tag", new JsonArray().add("a").add("b")), get.json());

    Answer post = send(HttpMethod.POST, "/bus/echo", Buffer.buffer("{\"n\":[1,2]}"));
    assertEquals(200, post.status());
    assertEquals(new JsonObject().put("n", new JsonArray().add(1).add(2)), post.json());

    assertError(send(HttpMethod.POST, "/bus/echo", Buffer.buffer("{nope")), 400, "request body is not JSON");
    assertError(send(HttpMethod.POST, "/bus/echo", Buffer.buffer("42")), 400, "request body must be a JSON object or array");
    assertError(send(HttpMethod.POST, "/bus/echo", Buffer.buffer(new byte[BusEndpoints.MAX_BUS_BODY + 1])), 413, "request body too large");
    assertError(send(HttpMethod.GET, "/bus/slow", null), 504, "t.slow did not answer within 200 ms");
    assertError(send(HttpMethod.GET, "/bus/fail", null), 409, "already taken");
    Answer none = send(HttpMethod.GET, "/bus/none", null);
    assertError(none, 503, "nothing on the bus answers t.none");
    assertEquals("1", none.headers().get("Retry-After"));
    Answer wrongMethod = send(HttpMethod.DELETE, "/bus/echo", null);
    assertEquals(405, wrongMethod.status());
    assertEquals("GET, POST", wrongMethod.headers().get("Allow"));
  }

  @Test
  void aBffEndpointAnswersWithThePartsThatCameAndMarksTheOthers() throws Exception {
    Answer answer = send(HttpMethod.GET, "/bff/web/home?name=Ada", null);
    assertEquals(200, answer.status(), answer.toString());
    JsonObject body = answer.json();
    JsonObject data = body.getJsonObject("data");
    assertEquals(List.of("rooms", "page", "echo"), List.copyOf(data.fieldNames()), "parts in their declared order");
    assertEquals("lobby", data.getJsonObject("rooms").getJsonArray("rooms").getJsonObject(0).getString("room"));
    assertEquals("/page?x=1", data.getJsonObject("page").getString("path"));
    assertEquals(new JsonObject().put("name", "Ada"), data.getJsonObject("echo"), "bus parts get the query as their message");
    JsonObject errors = body.getJsonObject("errors");
    assertEquals(new JsonObject().put("status", "timeout").put("error", "no answer within 200 ms"), errors.getJsonObject("slow"));
    assertEquals("failed", errors.getJsonObject("broken").getString("status"));
    assertEquals(409, errors.getJsonObject("broken").getInteger("code"));
    assertEquals("already taken", errors.getJsonObject("broken").getString("error"));
    assertTrue(body.getBoolean("partial"));
    assertTrue(body.getLong("ms") < SLOW_MS / 2, "the slow part does not hold the answer: " + body.getLong("ms") + " ms");
    assertEquals(answer.headers().get("X-Request-Id"), body.getString("requestId"));
  }

  @Test
  void eachFrontEndGetsOnlyTheFieldsItSelects() throws Exception {
    Answer answer = send(HttpMethod.GET, "/bff/mobile/home", null);
    assertEquals(200, answer.status());
    JsonObject data = answer.json().getJsonObject("data");
    assertEquals(new JsonObject().put("rooms", new JsonArray().add(new JsonObject().put("room", "lobby").put("members", 2))),
      data.getJsonObject("rooms"));
    assertEquals(new JsonObject().put("items", new JsonArray().add(new JsonObject().put("id", 1)).add(new JsonObject().put("id", 2)))
      , data.getJsonObject("page"));
    assertFalse(answer.json().getBoolean("partial"));
  }

  @Test
  void anEndpointWithNoPartAnsweringIs502AndSaysWhy() throws Exception {
    Answer answer = send(HttpMethod.GET, "/bff/down/home", null);
    assertEquals(502, answer.status());
    JsonObject errors = answer.json().getJsonObject("errors");
    assertEquals("timeout", errors.getJsonObject("slow").getString("status"));
    assertEquals("unavailable", errors.getJsonObject("none").getString("status"));
    assertEquals(new JsonObject().put("status", "unavailable").put("error", "no nothing node is available"), errors.getJsonObject("gone"));
    assertTrue(answer.json().getJsonObject("data").isEmpty());
  }

  // ---- helpers

  private static Answer send(HttpMethod method, String uri, Buffer body) throws Exception {
    return Answer.send(clientVertx, client, port, method, uri, Map.of(), body);
  }

  private static void assertError(Answer answer, int status, String error) {
    assertEquals(status, answer.status(), answer.toString());
    assertEquals(error, answer.json().getString("error"), answer.toString());
    assertEquals(answer.headers().get("X-Request-Id"), answer.json().getString("requestId"));
  }
}
