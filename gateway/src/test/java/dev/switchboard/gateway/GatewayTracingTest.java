package dev.switchboard.gateway;

import dev.switchboard.echo.EchoVerticle;
import dev.switchboard.http.HttpVerticle;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

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

  private static final Path ZIPKIN_JAR = Path.of("target", "zipkin", "zipkin-server.jar");
  /** Zipkin starts in about 12 s alone on this machine; a busy CI machine takes longer. */
  private static final Duration ZIPKIN_START = Duration.ofSeconds(120);
  /** Spans are batched (a second) before they are sent; Zipkin stores them at once. */
  private static final Duration TRACE_ARRIVAL = Duration.ofSeconds(30);
  private static final long POLL_MS = 250;

  private static Process zipkin;
  private static int zipkinPort;
  private static TestCluster cluster;
  private static Vertx clientVertx;
  private static HttpClient client;
  private static int gatewayPort;
  private static int httpPort;

  @BeforeAll
  static void start() throws Exception {
    assertTrue(Files.isRegularFile(ZIPKIN_JAR), ZIPKIN_JAR + " is missing: the build copies it (maven-dependency-plugin)");
    zipkinPort = TestCluster.freePort();
    Path log = ZIPKIN_JAR.resolveSibling("zipkin.log");
    zipkin = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
      "-jar", ZIPKIN_JAR.toString(),
      "--armeria.ports[0].port=" + zipkinPort, "--armeria.ports[0].ip=127.0.0.1", "--armeria.ports[0].protocols=http")
      .redirectErrorStream(true)
      .redirectOutput(log.toFile())
      .start();
    clientVertx = TestKit.vertx();
    client = clientVertx.createHttpClient();
    await(poll(() -> get(zipkinPort, "/health").map(answer -> answer.status), status -> status == 200, ZIPKIN_START),
      ZIPKIN_START.plusSeconds(5));

    TracingOptions tracing = new TracingOptions("http://127.0.0.1:" + zipkinPort + "/api/v2/spans", 1.0);
    List<UnaryOperator<VertxBuilder>> tracers = List.of("gateway", "http", "echo").stream()
      .<UnaryOperator<VertxBuilder>>map(service -> builder -> Tracing.install(builder, tracing, service))
      .toList();
    cluster = TestCluster.started(List.of(UnaryOperator.identity(), UnaryOperator.identity(), UnaryOperator.identity()), tracers);
    TestKit.Deployed http = GatewayClusterTest.await(TestKit.deploy(cluster.node(1), HttpVerticle.DEFINITION, new JsonObject(), 1));
    GatewayClusterTest.await(ServiceRegistry.announce(cluster.node(1), http.runtime()));
    httpPort = http.port("http");
    GatewayClusterTest.await(TestKit.deploy(cluster.node(2), EchoVerticle.DEFINITION, new JsonObject(), 1));
    JsonObject settings = new JsonObject().put("routes", new JsonArray().add("/api/ http")).put("healthInterval", "2s");
    gatewayPort = GatewayClusterTest.await(TestGateway.deploy(cluster.node(0), settings, 1)).port("http");
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      TestGateway.close(clientVertx, cluster);
    } finally {
      if (zipkin != null) {
        zipkin.destroy();
        if (!zipkin.waitFor(10, TimeUnit.SECONDS)) {
          zipkin.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
  }

  @Test
  void oneRequestIsOneTraceFromTheGatewayThroughTheBusToEcho() throws Exception {
    SecureRandom random = new SecureRandom();
    byte[] ids = new byte[24];
    random.nextBytes(ids);
    String traceId = HexFormat.of().formatHex(ids, 0, 16);
    String callerSpan = HexFormat.of().formatHex(ids, 16, 24);
    // Probes as a balancer sends them, straight to http and before the traced request: http exports in the order spans end.
    for (String probe : List.of("/ready", "/health")) {
      assertEquals(200, await(get(httpPort, probe), Duration.ofSeconds(30)).status, probe);
    }
    RequestOptions request = new RequestOptions().setPort(gatewayPort).setHost("127.0.0.1").setURI("/api/echo?msg=hi")
      .putHeader("traceparent", "00-" + traceId + "-" + callerSpan + "-01");
    Answer answer = await(TestKit.onContext(clientVertx, () -> client.request(request)
      .compose(r -> r.send())
      .compose(r -> r.body().map(body -> new Answer(r.statusCode(), body)))), Duration.ofSeconds(30));
    assertEquals(200, answer.status, answer.body::toString);
    assertTrue(answer.body.toString().contains("hi"), answer.body::toString);

    // Every hop's span, each closed after its child: wait for the last to arrive (the gateway's server span).
    Predicate<JsonArray> whole = spans -> find(spans, "gateway", "SERVER") != null && find(spans, "gateway", "CLIENT") != null
      && find(spans, "http", "SERVER") != null && find(spans, "http", "CLIENT") != null && find(spans, "echo", "SERVER") != null;
    JsonArray spans = await(poll(() -> get(zipkinPort, "/api/v2/trace/" + traceId)
      .map(a -> a.status == 200 ? a.body.toJsonArray() : new JsonArray()), whole, TRACE_ARRIVAL), TRACE_ARRIVAL.plusSeconds(5));

    String shown = spans.stream().map(s -> (JsonObject) s)
      .map(s -> service(s) + " " + s.getString("kind") + " " + s.getString("name") + " id=" + s.getString("id") + " parent=" + s.getString("parentId"))
      .collect(Collectors.joining("\n  ", "\n  ", ""));
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
    JsonArray httpTraces = await(get(zipkinPort, "/api/v2/traces?serviceName=http&limit=1000").map(a -> a.body.toJsonArray()),
      Duration.ofSeconds(30));
    List<String> paths = httpTraces.stream().flatMap(t -> ((JsonArray) t).stream()).map(s -> (JsonObject) s)
      .map(s -> s.getJsonObject("tags", new JsonObject()).getString("url.path")).toList();
    assertTrue(paths.contains("/api/echo"), paths::toString);
    assertTrue(paths.stream().noneMatch(path -> path != null && (path.equals("/ready") || path.equals("/health"))),
      "probes start no trace: " + paths);
  }

  private static JsonObject find(JsonArray spans, String service, String kind) {
    return spans.stream().map(s -> (JsonObject) s)
      .filter(s -> service.equals(service(s)) && kind.equals(s.getString("kind")))
      .findFirst().orElse(null);
  }

  private static String service(JsonObject span) {
    JsonObject endpoint = span.getJsonObject("localEndpoint");
    return endpoint == null ? null : endpoint.getString("serviceName");
  }

  private record Answer(int status, Buffer body) {
  }

  private static Future<Answer> get(int port, String uri) {
    return TestKit.onContext(clientVertx, () -> client.request(HttpMethod.GET, port, "127.0.0.1", uri)
      .compose(r -> r.send())
      .compose(r -> r.body().map(body -> new Answer(r.statusCode(), body))));
  }

  /**
   * Asks until the answer is {@code done}, every {@link #POLL_MS} on a Vert.x timer, failing with
   * the last answer once {@code limit} has passed; a failed attempt (nothing listening yet) is asked again.
   */
  private static <T> Future<T> poll(Supplier<Future<T>> attempt, Predicate<T> done, Duration limit) {
    long deadline = System.nanoTime() + limit.toNanos();
    return pollUntil(attempt, done, deadline);
  }

  private static <T> Future<T> pollUntil(Supplier<Future<T>> attempt, Predicate<T> done, long deadline) {
    return attempt.get().<Object>map(answer -> answer).otherwise((Throwable failure) -> failure).compose(result -> {
      @SuppressWarnings("unchecked")
      T answer = result instanceof Throwable ? null : (T) result;
      if (answer != null && done.test(answer)) {
        return Future.succeededFuture(answer);
      }
      if (System.nanoTime() - deadline > 0) {
        return Future.failedFuture(new TimeoutException("still not there; last: " + result));
      }
      return clientVertx.timer(POLL_MS).compose(v -> pollUntil(attempt, done, deadline));
    });
  }

  private static <T> T await(Future<T> future, Duration limit) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(limit.toMillis(), TimeUnit.MILLISECONDS);
  }
}
