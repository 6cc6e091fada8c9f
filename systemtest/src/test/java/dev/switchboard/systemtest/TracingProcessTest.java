package dev.switchboard.systemtest;

import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.TestZipkin;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static dev.switchboard.shared.testkit.TestZipkin.find;
import static dev.switchboard.shared.testkit.TestZipkin.show;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One trace from a client to the Node.js greeter, read back from a real Zipkin: every service's
 * fat jar as its own process, clustered, each sending its spans to Zipkin, and the greeter on the
 * bus through the bridge, sending its own. {@code /bff/web/home} fans out over the bus to chat,
 * echo and the greeter and over HTTP to files; {@code /api/greet} goes through http and the
 * bridge to the greeter. Each is one trace under the test's own root span, with every parent link
 * pointing at a span of the same trace.
 */
class TracingProcessTest {

  /** How much longer than the bridge's delivery the greeter's own span may measure (two processes, two event loops). */
  private static final long NESTING_SLACK_MICROS = 20_000;

  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final List<String> SERVICES = List.of("echo", "http", "files", "chat", "bridge", "gateway");

  private static Vertx vertx;
  private static TestZipkin zipkin;
  private static final Map<String, ServiceProcess> processes = new LinkedHashMap<>();
  private static NodeProcess greeter;
  private static Path filesRoot;
  private static HttpClient client;
  private static int gatewayPort;

  @BeforeAll
  static void start() throws Exception {
    vertx = TestKit.vertx();
    zipkin = TestZipkin.start(vertx);
    client = HttpClient.newHttpClient();
    filesRoot = Files.createTempDirectory("tracing-files");
    Files.writeString(filesRoot.resolve("hello.txt"), "traced");

    String cluster = "tracing-" + UUID.randomUUID();
    Map<String, Integer> members = new LinkedHashMap<>();
    for (String service : SERVICES) {
      members.put(service, ServiceProcess.freePort());
    }
    String memberList = members.values().stream().map(port -> "127.0.0.1:" + port).collect(Collectors.joining(","));
    String token = "greeter-" + UUID.randomUUID();
    for (String service : SERVICES) {
      ServiceProcess.Builder builder = ServiceProcess.of(service).clustered(cluster, members.get(service), memberList)
        .env("SWITCHBOARD_TRACING_ENDPOINT", zipkin.endpoint())
        .args("-instances", "1");
      switch (service) {
        case "echo" -> builder.set("adminPort", "0");
        case "files" -> builder.set("root", filesRoot.toString());
        case "bridge" -> builder.set("adminPort", "0").set("outbound", "greeter.*").set("tokens", token);
        case "gateway" -> builder.set("adminPort", "0").set("tcpRoutes", "0 echo").set("healthInterval", "1s");
        default -> {
        }
      }
      processes.put(service, builder.start());
    }
    for (ServiceProcess process : processes.values()) {
      process.awaitUp();
    }
    gatewayPort = processes.get("gateway").port("http");
    greeter = NodeProcess.start("services/greeter-node/greeter.js", Map.of(
      "SWITCHBOARD_BRIDGE_HOST", "127.0.0.1",
      "SWITCHBOARD_BRIDGE_PORT", String.valueOf(processes.get("bridge").port("tcp")),
      "SWITCHBOARD_BRIDGE_TOKEN", token,
      "SWITCHBOARD_GREETER_NODE_HOST", "127.0.0.1",
      "SWITCHBOARD_GREETER_NODE_ADMIN_PORT", "0",
      "SWITCHBOARD_TRACING_ENDPOINT", zipkin.endpoint()), "greeter-node up:");
    greeter.awaitUp(PATIENCE);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (greeter != null) {
        greeter.close();
      }
      for (ServiceProcess process : processes.values()) {
        process.close();
      }
      if (vertx != null) {
        TestKit.await(vertx.close());
      }
    } finally {
      if (zipkin != null) {
        zipkin.close();
      }
    }
  }

  @Test
  void aComposedScreenIsOneTraceDownToTheNodeGreeter() throws Exception {
    // Until every part answers (the nodes found, the greeter's registration known everywhere), each try a trace of its own.
    String[] ids = answeredWhole("/bff/web/home?name=Ada", body -> !new JsonObject(body).getBoolean("partial"));

    Predicate<JsonArray> whole = spans -> find(spans, "greeter-node", "SERVER") != null && find(spans, "chat", "SERVER") != null
      && find(spans, "files", "SERVER") != null && find(spans, "echo", "SERVER") != null && find(spans, "gateway", "SERVER") != null
      && named(spans, "gateway", "bff greeting") != null && TestZipkin.linked(spans, ids[1]);
    JsonArray spans = zipkin.trace(ids[0], whole);
    assertOneTree(spans, ids[1]);
    JsonObject server = find(spans, "gateway", "SERVER");
    for (String part : List.of("rooms", "files", "greeting", "echo")) {
      JsonObject span = named(spans, "gateway", "bff " + part);
      assertNotNull(span, "a span for the part " + part + ":" + show(spans));
      assertEquals(server.getString("id"), span.getString("parentId"), show(spans));
    }
    assertChainToTheGreeter(spans, named(spans, "gateway", "bff greeting"));
    assertEquals(services(spans), Set.of("gateway", "chat", "files", "echo", "bridge", "greeter-node"), show(spans));
  }

  @Test
  void aGreetingIsOneTraceThroughHttpAndTheBridge() throws Exception {
    String[] ids = answeredWhole("/api/greet?name=Ada", body -> body.contains("\"by\":\"greeter-node\""));

    JsonArray spans = zipkin.trace(ids[0], s -> find(s, "greeter-node", "SERVER") != null && find(s, "gateway", "SERVER") != null
      && find(s, "http", "SERVER") != null && TestZipkin.linked(s, ids[1]));
    assertOneTree(spans, ids[1]);
    JsonObject gatewayCall = find(spans, "gateway", "CLIENT");
    JsonObject http = find(spans, "http", "SERVER");
    assertEquals(find(spans, "gateway", "SERVER").getString("id"), gatewayCall.getString("parentId"), show(spans));
    assertEquals(gatewayCall.getString("id"), http.getString("parentId"), show(spans));
    assertChainToTheGreeter(spans, http);
    assertEquals(services(spans), Set.of("gateway", "http", "bridge", "greeter-node"), show(spans));
  }

  /**
   * Below {@code above}: its bus send to {@code greeter.hello}, the bridge's consumer of it, the
   * bridge's delivery to the greeter, and the greeter's own span, each the child of the one before.
   */
  private static void assertChainToTheGreeter(JsonArray spans, JsonObject above) {
    JsonObject send = child(spans, above, "send");
    JsonObject consumer = spans.stream().map(s -> (JsonObject) s)
      .filter(s -> "bridge".equals(TestZipkin.service(s)) && "SERVER".equals(s.getString("kind")) && send.getString("id").equals(s.getString("parentId")))
      .findFirst().orElseThrow(() -> new AssertionError("no bridge consumer under the send:" + show(spans)));
    JsonObject delivery = child(spans, consumer, "deliver greeter.hello");
    JsonObject greeting = find(spans, "greeter-node", "SERVER");
    assertEquals(delivery.getString("id"), greeting.getString("parentId"), "the greeter continues the bridge's delivery:" + show(spans));
    // Each process measures its own span on its own monotonic clock; under a loaded machine the
    // greeter's event loop may run its span's last line a little after the bridge has the answer.
    assertTrue(greeting.getLong("duration", 0L) <= delivery.getLong("duration", 0L) + NESTING_SLACK_MICROS,
      "the greeter's work (" + greeting.getLong("duration") + " µs) lies within the delivery's span ("
        + delivery.getLong("duration") + " µs):" + show(spans));
  }

  /** Every span of one trace, each but the root the child of another of them, the root the test's own. */
  private static void assertOneTree(JsonArray spans, String rootParent) {
    long roots = spans.stream().filter(s -> rootParent.equals(((JsonObject) s).getString("parentId"))).count();
    assertEquals(1, roots, "one span continues the client's:" + show(spans));
    assertTrue(TestZipkin.linked(spans, rootParent), "a parent link points outside the trace:" + show(spans));
  }

  private static JsonObject child(JsonArray spans, JsonObject parent, String name) {
    return spans.stream().map(s -> (JsonObject) s)
      .filter(s -> name.equals(s.getString("name")) && parent.getString("id").equals(s.getString("parentId")))
      .findFirst().orElseThrow(() -> new AssertionError("no '" + name + "' under " + parent.getString("name") + ":" + show(spans)));
  }

  private static JsonObject named(JsonArray spans, String service, String name) {
    return spans.stream().map(s -> (JsonObject) s)
      .filter(s -> service.equals(TestZipkin.service(s)) && name.equals(s.getString("name")))
      .findFirst().orElse(null);
  }

  private static Set<String> services(JsonArray spans) {
    return spans.stream().map(s -> TestZipkin.service((JsonObject) s)).collect(Collectors.toSet());
  }

  /**
   * GETs {@code uri} from the gateway, each time under a new trace, until the answer is 200 and
   * {@code whole}; the ids ({@code [traceId, spanId]}) of the request that was.
   */
  private static String[] answeredWhole(String uri, Predicate<String> whole) throws Exception {
    return TestKit.awaitPoll(() -> {
      String[] ids = TestZipkin.newIds();
      HttpResponse<String> answer = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + uri))
        .header("traceparent", "00-" + ids[0] + "-" + ids[1] + "-01").timeout(PATIENCE).build(), HttpResponse.BodyHandlers.ofString());
      return new Traced(ids, answer.statusCode(), answer.body());
    }, traced -> traced.status() == 200 && whole.test(traced.body()), Duration.ofMillis(200), PATIENCE, "a whole answer from " + uri).ids();
  }

  /** One request of {@link #answeredWhole}: its trace and span ids, and what it was answered. */
  private record Traced(String[] ids, int status, String body) {
    @Override
    public String toString() {
      return status + " " + body;
    }
  }
}
