package dev.switchboard.gateway;

import ch.qos.logback.classic.Level;
import dev.switchboard.files.FilesVerticle;
import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.LogCapture;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.web.AccessLog;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The access logs of one request through the gateway to the file service, in one JVM: a line from
 * each, joined by the request id the gateway gave it and the trace id of its {@code traceparent};
 * the file service's own log line, written while it handled the request (after blocking file work
 * and on another node's event loop), carries both in its MDC; and a query's {@code access_token}
 * reaches no log line.
 */
class GatewayAccessLogTest {

  private static final String TOKEN = "files-token-0123456789";
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String TRACEPARENT = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";
  private static final String FILES_LOGGER = FilesVerticle.class.getName();
  private static final long WAIT_SECONDS = 10;

  @TempDir
  static Path root;
  private static TestCluster cluster;
  private static Vertx clientVertx;
  private static HttpClient client;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(root.resolve("hello.txt"), "hello");
    cluster = TestCluster.started(2);
    TestKit.Deployed files = await(TestKit.deploy(cluster.node(1), FilesVerticle.DEFINITION,
      new JsonObject().put("root", root.toString()).put("token", TOKEN), 1,
      new IngressOptions(IngressOptions.DEFAULT_HEAD_TIMEOUT, List.of("127.0.0.1"))), TIMEOUT);
    await(ServiceRegistry.announce(cluster.node(1), files.runtime()), TIMEOUT);
    port = await(TestGateway.deploy(cluster.node(0), new JsonObject(), 2), TIMEOUT).port("http");
    clientVertx = TestKit.vertx();
    client = clientVertx.createHttpClient();
  }

  @AfterAll
  static void stop() throws Exception {
    TestGateway.close(clientVertx, cluster);
  }

  @Test
  void theGatewayAndTheServiceLogOneRequestUnderOneRequestIdAndTraceId() throws Exception {
    try (LogCapture logs = LogCapture.of(Level.DEBUG, AccessLog.LOGGER, FILES_LOGGER)) {
      Answer put = Answer.send(clientVertx, client, port, HttpMethod.PUT, "/files/notes.txt",
        Map.of("Authorization", "Bearer " + TOKEN, "traceparent", TRACEPARENT), Buffer.buffer("12345"));
      assertEquals(201, put.status(), put.toString());
      String id = put.headers().get("X-Request-Id");
      assertNotNull(id);

      List<LogCapture.Line> lines = logs.await(all -> access(all, id).size() == 2, WAIT_SECONDS);
      List<JsonObject> access = access(lines, id);
      JsonObject gateway = access.stream().filter(j -> j.containsKey("upstream")).findFirst().orElseThrow(() -> new AssertionError(access));
      JsonObject service = access.stream().filter(j -> !j.containsKey("upstream")).findFirst().orElseThrow(() -> new AssertionError(access));
      for (JsonObject line : access) {
        assertEquals(TRACE_ID, line.getString("traceId"), line.encode());
        assertEquals("PUT", line.getString("method"), line.encode());
        assertEquals("/files/notes.txt", line.getString("uri"), line.encode());
        assertEquals(201, line.getInteger("status"), line.encode());
        assertEquals(5, line.getLong("bytesReceived"), line.encode());
        assertTrue(line.getLong("bytesSent") > 0, line.encode());
        assertEquals("127.0.0.1", line.getString("client"), line.encode());
        assertTrue(line.getString("time").endsWith("Z"), line.encode());
        assertTrue(line.getDouble("durationMs") >= 0, line.encode());
      }
      assertEquals("/files/", gateway.getString("route"), gateway.encode());
      assertTrue(gateway.getString("upstream").contains("127.0.0.1"), gateway.encode());
      assertEquals("/files/", service.getString("route"), service.encode()); // the router's path of "/files/*"
      assertEquals(gateway.getLong("bytesSent"), service.getLong("bytesSent"), "the gateway relays the service's body");

      // The service's own line, written after the upload was stored (blocking work, then its callback).
      LogCapture.Line own = logs.lines().stream()
        .filter(l -> l.logger().equals(FILES_LOGGER) && l.message().startsWith("PUT notes.txt"))
        .findFirst().orElseThrow(() -> new AssertionError("no upload line: " + logs.lines()));
      assertEquals(id, own.mdc().get("requestId"), own.toString());
      assertEquals(TRACE_ID, own.mdc().get("traceId"), own.toString());
    }
  }

  @Test
  void aRequestWithoutTraceparentIsLoggedWithoutTraceId() throws Exception {
    try (LogCapture logs = LogCapture.of(Level.INFO, AccessLog.LOGGER)) {
      Answer get = Answer.send(clientVertx, client, port, HttpMethod.GET, "/files/hello.txt", Map.of("X-Request-Id", "mine-1"), null);
      assertEquals(200, get.status());
      assertEquals("mine-1", get.headers().get("X-Request-Id"), "a safe id from the client is kept");
      List<JsonObject> access = access(logs.await(all -> access(all, "mine-1").size() == 2, WAIT_SECONDS), "mine-1");
      for (JsonObject line : access) {
        assertNull(line.getString("traceId"), line.encode());
        assertEquals(200, line.getInteger("status"), line.encode());
        assertEquals(5, line.getLong("bytesSent"), line.encode());
      }
    }
  }

  @Test
  void anAccessTokenInTheQueryReachesNoLogLine() throws Exception {
    String secret = "sekrit-token-value";
    try (LogCapture logs = LogCapture.of(Level.DEBUG, AccessLog.LOGGER, "dev.switchboard")) {
      Answer get = Answer.send(clientVertx, client, port, HttpMethod.GET, "/files/hello.txt?a=1&access_token=" + secret + "&b=2",
        Map.of("Authorization", "Bearer another-" + secret), null);
      assertEquals(200, get.status());
      String id = get.headers().get("X-Request-Id");
      List<LogCapture.Line> lines = logs.await(all -> access(all, id).size() == 2, WAIT_SECONDS);
      for (JsonObject line : access(lines, id)) {
        assertEquals("/files/hello.txt?a=1&access_token=…&b=2", line.getString("uri"), line.encode());
      }
      for (LogCapture.Line line : lines) {
        assertFalse(line.message().contains(secret), "a token in the log: " + line);
      }
    }
  }

  /** The access lines of request {@code id}, as JSON. */
  private static List<JsonObject> access(List<LogCapture.Line> lines, String id) {
    return lines.stream()
      .filter(l -> l.logger().equals(AccessLog.LOGGER))
      .map(l -> new JsonObject(l.message()))
      .filter(j -> id.equals(j.getString("requestId")))
      .toList();
  }
}
