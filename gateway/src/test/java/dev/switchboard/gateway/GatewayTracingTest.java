package dev.switchboard.gateway;

import dev.switchboard.echo.EchoVerticle;
import dev.switchboard.http.HttpVerticle;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.TestZipkin;
import dev.switchboard.shared.tracing.Tracing;
import dev.switchboard.shared.tracing.TracingOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

import static dev.switchboard.shared.testkit.TestZipkin.find;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One request through a traced cluster, read back from a real Zipkin: Zipkin's server runs as a
 * child process on a free loopback port (its jar copied into {@code target/zipkin} by the build),
 * and the gateway, http and echo run on three cluster members whose Vert.x each has the tracer the
 * launcher gives it. {@code GET /api/echo} goes client → gateway → http → event bus → echo; the
 * client sends its own {@code traceparent}, so the whole trace hangs off a span the test knows.
 */
class GatewayTracingTest {

  private static TestZipkin zipkin;
  private static TestCluster cluster;
  private static Vertx clientVertx;
  private static HttpClient client;
  private static int gatewayPort;
  private static int httpPort;

  @BeforeAll
  static void start() throws Exception {
    clientVertx = TestKit.vertx();
    client = clientVertx.createHttpClient();
    zipkin = TestZipkin.start(clientVertx);

    TracingOptions tracing = zipkin.tracing();
    List<UnaryOperator<VertxBuilder>> tracers = List.of("gateway", "http", "echo").stream()
      .<UnaryOperator<VertxBuilder>>map(service -> builder -> Tracing.install(builder, tracing, service))
      .toList();
    cluster = TestCluster.started(List.of(UnaryOperator.identity(), UnaryOperator.identity(), UnaryOperator.identity()), tracers);
    TestKit.Deployed http = TestKit.await(TestKit.deploy(cluster.node(1), HttpVerticle.DEFINITION, new JsonObject(), 1), TestGateway.TIMEOUT);
    TestKit.await(ServiceRegistry.announce(cluster.node(1), http.runtime()), TestGateway.TIMEOUT);
    httpPort = http.port("http");
    TestKit.await(TestKit.deploy(cluster.node(2), EchoVerticle.DEFINITION, new JsonObject(), 1), TestGateway.TIMEOUT);
    JsonObject settings = new JsonObject().put("routes", new JsonArray().add("/api/ http")).put("healthInterval", "2s")
      .put("bff", new JsonArray().add("/bff/test/home said=bus:echo@10s hello=get:http/api/echo?msg=part@10s"));
    gatewayPort = TestKit.await(TestGateway.deploy(cluster.node(0), settings, 1), TestGateway.TIMEOUT).port("http");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      TestGateway.close(clientVertx, cluster);
    } finally {
      if (zipkin != null) {
        zipkin.close();
      }
    }
  }

  @Test
  void oneRequestIsOneTraceFromTheGatewayThroughTheBusToEcho() throws Exception {
    String[] ids = TestZipkin.newIds();
    String traceId = ids[0];
    String callerSpan = ids[1];
    // Probes as a balancer sends them, straight to http and before the traced request: http exports in the order spans end.
    for (String probe : List.of("/ready", "/health")) {
      assertEquals(200, TestKit.await(get(httpPort, probe), Duration.ofSeconds(30)).status, probe);
    }
    RequestOptions request = new RequestOptions().setPort(gatewayPort).setHost("127.0.0.1").setURI("/api/echo?msg=hi")
      .putHeader("traceparent", "00-" + traceId + "-" + callerSpan + "-01");
    Answer answer = TestKit.await(TestKit.onContext(clientVertx, () -> client.request(request)
      .compose(r -> r.send())
      .compose(r -> r.body().map(body -> new Answer(r.statusCode(), body)))), Duration.ofSeconds(30));
    assertEquals(200, answer.status, answer.body::toString);
    assertTrue(answer.body.toString().contains("hi"), answer.body::toString);

    // Every hop's span, each closed after its child: wait for the last to arrive (the gateway's server span).
    Predicate<JsonArray> whole = spans -> find(spans, "gateway", "SERVER") != null && find(spans, "gateway", "CLIENT") != null
      && find(spans, "http", "SERVER") != null && find(spans, "http", "CLIENT") != null && find(spans, "echo", "SERVER") != null;
    JsonArray spans = zipkin.trace(traceId, whole);
    String shown = TestZipkin.show(spans);
    JsonObject gatewayServer = find(spans, "gateway", "SERVER");
    JsonObject gatewayClient = find(spans, "gateway", "CLIENT");
    JsonObject httpServer = find(spans, "http", "SERVER");
    JsonObject busSend = find(spans, "http", "CLIENT");
    JsonObject echoConsumer = find(spans, "echo", "SERVER");
    assertEquals(5, spans.size(), "one span per hop, no more:" + shown);
    assertTrue(spans.stream().allMatch(s -> traceId.equals(((JsonObject) s).getString("traceId"))), "one trace:" + shown);
    // The chain of parents, from the test's own span to echo's consumer.
    assertEquals(callerSpan, gatewayServer.getString("parentId"), "the gateway continues the caller's trace:" + shown);
    assertEquals(gatewayServer.getString("id"), gatewayClient.getString("parentId"), "the call to the node is the gateway's child:" + shown);
    assertEquals(gatewayClient.getString("id"), httpServer.getString("parentId"),
      "http continues the gateway's call, not the client's traceparent copied through:" + shown);
    assertEquals(httpServer.getString("id"), busSend.getString("parentId"), "the bus send belongs to http's request:" + shown);
    assertEquals(busSend.getString("id"), echoConsumer.getString("parentId"), "echo continues the send from its message's headers:" + shown);
    // What the spans say of themselves.
    assertEquals("get /api/ http", gatewayClient.getString("name"), "the call is named for its route:" + shown);
    assertEquals("send", busSend.getString("name"), shown);
    assertEquals("send", echoConsumer.getString("name"), shown);
    assertTrue(httpServer.getJsonObject("tags", new JsonObject()).encode().contains("/api/echo"), "http's span has the path:" + shown);

    // The probes' spans, had they been recorded, would have reached Zipkin with http's spans of the trace or before.
    JsonArray httpTraces = TestKit.await(zipkin.get("/api/v2/traces?serviceName=http&limit=1000").map(a -> new JsonArray(a.body())),
      Duration.ofSeconds(30));
    List<String> paths = httpTraces.stream().flatMap(t -> ((JsonArray) t).stream()).map(s -> (JsonObject) s)
      .map(s -> s.getJsonObject("tags", new JsonObject()).getString("url.path")).toList();
    assertTrue(paths.contains("/api/echo"), paths::toString);
    assertTrue(paths.stream().noneMatch(path -> path != null && (path.equals("/ready") || path.equals("/health"))),
      "probes start no trace: " + paths);
  }

  @Test
  void eachPartOfAComposedAnswerIsASpanWithItsCallsBeneathIt() throws Exception {
    String[] ids = TestZipkin.newIds();
    RequestOptions request = new RequestOptions().setPort(gatewayPort).setHost("127.0.0.1").setURI("/bff/test/home?msg=parts")
      .putHeader("traceparent", "00-" + ids[0] + "-" + ids[1] + "-01");
    Answer answer = TestKit.await(TestKit.onContext(clientVertx, () -> client.request(request)
      .compose(r -> r.send())
      .compose(r -> r.body().map(body -> new Answer(r.statusCode(), body)))), Duration.ofSeconds(30));
    assertEquals(200, answer.status, answer.body::toString);
    assertEquals(false, answer.body.toJsonObject().getBoolean("partial"), answer.body::toString);

    Predicate<JsonArray> whole = spans -> named(spans, "bff said") != null && named(spans, "bff hello") != null
      && TestZipkin.of(spans, "echo").size() == 2 && find(spans, "http", "SERVER") != null && find(spans, "gateway", "SERVER") != null;
    JsonArray spans = zipkin.trace(ids[0], whole);
    String shown = TestZipkin.show(spans);
    JsonObject server = find(spans, "gateway", "SERVER");
    JsonObject said = named(spans, "bff said");
    JsonObject hello = named(spans, "bff hello");
    assertEquals(server.getString("id"), said.getString("parentId"), "a part is the request's child:" + shown);
    assertEquals(server.getString("id"), hello.getString("parentId"), "a part is the request's child:" + shown);
    assertEquals("echo", said.getJsonObject("tags").getString("bff.target"), shown);
    JsonObject busSend = spans.stream().map(s -> (JsonObject) s)
      .filter(s -> "gateway".equals(TestZipkin.service(s)) && "send".equals(s.getString("name"))).findFirst().orElseThrow();
    assertEquals(said.getString("id"), busSend.getString("parentId"), "the bus request is the part's child:" + shown);
    // Two echo consumers in this trace: the part's own request, and http's for /api/echo.
    assertTrue(TestZipkin.of(spans, "echo").stream().anyMatch(s -> busSend.getString("id").equals(s.getString("parentId"))),
      "echo continues the part's bus request:" + shown);
    JsonObject call = spans.stream().map(s -> (JsonObject) s)
      .filter(s -> "gateway".equals(TestZipkin.service(s)) && "CLIENT".equals(s.getString("kind")) && s.getString("name").startsWith("get http"))
      .findFirst().orElseThrow(() -> new AssertionError("no call to http:" + shown));
    assertEquals(hello.getString("id"), call.getString("parentId"), "the HTTP call is the part's child:" + shown);
    assertEquals(call.getString("id"), find(spans, "http", "SERVER").getString("parentId"), shown);
  }

  private static JsonObject named(JsonArray spans, String name) {
    return spans.stream().map(s -> (JsonObject) s).filter(s -> name.equals(s.getString("name"))).findFirst().orElse(null);
  }

  private record Answer(int status, Buffer body) {
  }

  private static Future<Answer> get(int port, String uri) {
    return TestKit.onContext(clientVertx, () -> client.request(HttpMethod.GET, port, "127.0.0.1", uri)
      .compose(r -> r.send())
      .compose(r -> r.body().map(body -> new Answer(r.statusCode(), body))));
  }
}
