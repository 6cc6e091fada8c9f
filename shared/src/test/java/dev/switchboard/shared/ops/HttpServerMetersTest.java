package dev.switchboard.shared.ops;

import dev.switchboard.shared.testkit.RawHttp;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An HTTP server's request metrics through {@link MetricsFactory}: the series vertx-micrometer
 * gives (names, {@code method} and {@code code} labels, counts, bytes, times, active requests),
 * an unknown method as {@code other}, a request reset by its client, and the connection-level
 * series still there.
 */
class HttpServerMetersTest {

  private static final Duration LIMIT = Duration.ofSeconds(30);

  private Vertx vertx;
  private int port;

  @BeforeEach
  void start() throws Exception {
    vertx = TestKit.vertx();
    HttpServer server = TestKit.await(TestKit.onContext(vertx, () -> {
      Router router = Router.router(vertx);
      router.get("/hello").handler(ctx -> ctx.end("hello"));
      router.post("/echo").handler(ctx -> ctx.request().body().onSuccess(body -> ctx.end(body)));
      router.get("/hang").handler(ctx -> {
        // never answered: its client leaves
      });
      router.get("/metrics").handler(PrometheusScrapingHandler.create());
      return vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1");
    }), LIMIT);
    port = server.actualPort();
  }

  @AfterEach
  void close() throws Exception {
    TestKit.await(vertx.close(), LIMIT);
  }

  @Test
  void countsRequestsByMethodAndCodeWithTimesAndBytes() throws Exception {
    try (RawHttp raw = RawHttp.connect(port)) {
      raw.write("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n").read();
      raw.write("GET /hello HTTP/1.1\r\nHost: h\r\n\r\n").read();
      raw.write("GET /nowhere HTTP/1.1\r\nHost: h\r\n\r\n").read();
      raw.write("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\nseven!!").read();
      raw.write("BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n").read();
    }
    String page = metrics();
    assertEquals(2.0, value(page, "vertx_http_server_requests_total{code=\"200\",method=\"GET\"}"), page);
    assertEquals(1.0, value(page, "vertx_http_server_requests_total{code=\"404\",method=\"GET\"}"), page);
    assertEquals(1.0, value(page, "vertx_http_server_requests_total{code=\"200\",method=\"POST\"}"), page);
    assertEquals(1.0, value(page, "vertx_http_server_requests_total{code=\"404\",method=\"other\"}"), page);
    assertEquals(2.0, value(page, "vertx_http_server_response_time_seconds_count{code=\"200\",method=\"GET\"}"), page);
    assertTrue(value(page, "vertx_http_server_response_time_seconds_sum{code=\"200\",method=\"GET\"}") > 0, page);
    assertEquals(10.0, value(page, "vertx_http_server_response_bytes_sum{code=\"200\",method=\"GET\"}"), page);
    assertEquals(7.0, value(page, "vertx_http_server_request_bytes_sum{method=\"POST\"}"), page);
    // Nothing is in progress but this scrape's own GET.
    assertEquals(0.0, value(page, "vertx_http_server_active_requests{method=\"POST\"}"), page);
    assertEquals(1.0, value(page, "vertx_http_server_active_requests{method=\"GET\"}"), page);
    assertTrue(page.contains("vertx_http_server_active_connections"), "connections still counted: " + page);
    assertTrue(page.contains("vertx_http_server_bytes_written_total"), "bytes still counted: " + page);
  }

  @Test
  void aRequestItsClientLeavesIsResetAndNoLongerActive() throws Exception {
    try (RawHttp raw = RawHttp.connect(port)) {
      raw.write("GET /hang HTTP/1.1\r\nHost: h\r\n\r\n");
      TestKit.await(TestKit.poll(vertx, () -> TestKit.onContext(vertx, () -> vertx.executeBlocking(this::metrics)),
        page -> value(page, "vertx_http_server_active_requests{method=\"GET\"}") == 2.0, Duration.ofMillis(20), LIMIT), LIMIT);
    }
    String page = TestKit.await(TestKit.poll(vertx, () -> TestKit.onContext(vertx, () -> vertx.executeBlocking(this::metrics)),
      p -> value(p, "vertx_http_server_active_requests{method=\"GET\"}") == 1.0, Duration.ofMillis(20), LIMIT), LIMIT);
    assertEquals(1.0, value(page, "vertx_http_server_request_resets_total{method=\"GET\"}"), page);
  }

  private String metrics() throws Exception {
    try (RawHttp raw = RawHttp.connect(port)) {
      return raw.write("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n").read().text();
    }
  }

  /** The value of a series on a Prometheus text page; NaN when it is not there. */
  private static double value(String page, String series) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(page);
    return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
  }
}
