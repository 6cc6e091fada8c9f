package dev.switchboard.shared.testkit;

import dev.switchboard.shared.tracing.TracingOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Zipkin's real server as a child process on a free loopback port, for tests that read traces
 * back: the module's build copies its exec jar into {@code target/zipkin} (the root pom's
 * {@code zipkin-server} execution of maven-dependency-plugin), so the test needs no network.
 */
public final class TestZipkin implements AutoCloseable {

  /** Where the build puts Zipkin's jar, relative to the module. */
  public static final Path JAR = Path.of("target", "zipkin", "zipkin-server.jar");
  /** Zipkin starts in about 12 s alone on this machine; a busy CI machine takes longer. */
  public static final Duration START = Duration.ofSeconds(120);
  /** Spans are batched (a second) before they are sent; Zipkin stores them at once. */
  public static final Duration TRACE_ARRIVAL = Duration.ofSeconds(30);
  private static final Duration POLL = Duration.ofMillis(250);
  private static final Duration STOP = Duration.ofSeconds(10);

  private final Process process;
  private final int port;
  private final Vertx vertx;
  private final HttpClient client;

  private TestZipkin(Process process, int port, Vertx vertx) {
    this.process = process;
    this.port = port;
    this.vertx = vertx;
    this.client = vertx.createHttpClient();
  }

  /** Starts Zipkin and returns once it answers {@code /health}; {@code vertx} makes the test's requests to it. */
  public static TestZipkin start(Vertx vertx) throws Exception {
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(JAR.toAbsolutePath() + " is missing: the build copies it (maven-dependency-plugin, execution zipkin-server)");
    }
    int port = TestCluster.freePort();
    Path log = JAR.resolveSibling("zipkin-" + port + ".log");
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
      "-jar", JAR.toString(),
      "--armeria.ports[0].port=" + port, "--armeria.ports[0].ip=127.0.0.1", "--armeria.ports[0].protocols=http")
      .redirectErrorStream(true)
      .redirectOutput(log.toFile())
      .start();
    TestZipkin zipkin = new TestZipkin(process, port, vertx);
    try {
      TestKit.await(TestKit.poll(vertx, () -> zipkin.get("/health").map(answer -> answer.statusCode()), status -> status == 200, POLL, START),
        START.plusSeconds(5));
    } catch (Exception e) {
      zipkin.close();
      throw new IllegalStateException("Zipkin did not come up; its log: " + tail(log), e);
    }
    return zipkin;
  }

  /** The URL services send spans to. */
  public String endpoint() {
    return "http://127.0.0.1:" + port + "/api/v2/spans";
  }

  /** Tracing options that record every trace and send it here. */
  public TracingOptions tracing() {
    return new TracingOptions(endpoint(), 1.0);
  }

  public int port() {
    return port;
  }

  /** A new W3C trace id and span id for a test's own root span: {@code [traceId, spanId]}. */
  public static String[] newIds() {
    byte[] ids = new byte[24];
    new SecureRandom().nextBytes(ids);
    return new String[] {HexFormat.of().formatHex(ids, 0, 16), HexFormat.of().formatHex(ids, 16, 24)};
  }

  /** The spans of {@code traceId} once they are {@code whole}, waiting at most {@link #TRACE_ARRIVAL}. */
  public JsonArray trace(String traceId, Predicate<JsonArray> whole) throws Exception {
    return TestKit.await(TestKit.poll(vertx, () -> get("/api/v2/trace/" + traceId)
      .map(a -> a.statusCode() == 200 ? new JsonArray(a.body()) : new JsonArray()), whole, POLL, TRACE_ARRIVAL), TRACE_ARRIVAL.plusSeconds(5));
  }

  /** Zipkin's JSON answer to a {@code GET} of {@code uri} (its API, e.g. {@code /api/v2/services}). */
  public Future<Answer> get(String uri) {
    return TestKit.onContext(vertx, () -> client.request(HttpMethod.GET, port, "127.0.0.1", uri)
      .compose(request -> request.send())
      .compose(response -> response.body().map(body -> new Answer(response.statusCode(), body.toString()))));
  }

  /**
   * Whether every span's parent is in {@code spans} or is {@code rootParent} (the client's span):
   * no span still on its way to the collector from the processes between a span and its child.
   */
  public static boolean linked(JsonArray spans, String rootParent) {
    Set<String> ids = spans.stream().map(s -> ((JsonObject) s).getString("id")).collect(Collectors.toSet());
    return spans.stream().map(s -> ((JsonObject) s).getString("parentId"))
      .allMatch(parent -> rootParent.equals(parent) || ids.contains(parent));
  }

  /** The first span of {@code service} of this {@code kind} ({@code SERVER}, {@code CLIENT}, ...), or null. */
  public static JsonObject find(JsonArray spans, String service, String kind) {
    return spans.stream().map(s -> (JsonObject) s)
      .filter(s -> service.equals(service(s)) && kind.equals(s.getString("kind")))
      .findFirst().orElse(null);
  }

  /** Every span of {@code service}. */
  public static List<JsonObject> of(JsonArray spans, String service) {
    return spans.stream().map(s -> (JsonObject) s).filter(s -> service.equals(service(s))).toList();
  }

  /** The service a span says it comes from. */
  public static String service(JsonObject span) {
    JsonObject endpoint = span.getJsonObject("localEndpoint");
    return endpoint == null ? null : endpoint.getString("serviceName");
  }

  /** The spans one per line, for assertion messages. */
  public static String show(JsonArray spans) {
    return spans.stream().map(s -> (JsonObject) s)
      .map(s -> service(s) + " " + s.getString("kind") + " " + s.getString("name") + " id=" + s.getString("id") + " parent=" + s.getString("parentId"))
      .collect(Collectors.joining("\n  ", "\n  ", ""));
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(STOP.toSeconds(), TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(STOP.toSeconds(), TimeUnit.SECONDS);
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  /** A status and a body. */
  public record Answer(int statusCode, String body) {
  }
}
