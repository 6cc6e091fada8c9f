package dev.switchboard.gateway;

import dev.switchboard.gateway.config.Policy;
import dev.switchboard.shared.testkit.RawHttp;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's edge in front of a service node: rate limits per client address and per API key,
 * body and header limits, CORS and security headers — each answered with a status and a JSON body
 * before the node is bothered.
 */
class GatewayEdgeTest {

  private static final String KEY = "k-0123456789abcdef";
  private static final int BURST = 5;

  private static TestCluster cluster;
  private static Vertx clientVertx;
  /** Requests the service node received: a refused request must not reach it. */
  private static final AtomicInteger served = new AtomicInteger();
  /** The gateway with rate limits; the other has none, so that the other tests do not share budgets. */
  private static int limited;
  private static int plain;
  private static int plainAdmin;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.started(2);
    Vertx node = cluster.node(1);
    int port = await(TestGateway.serveAs(node, "http", request -> {
      served.incrementAndGet();
      request.body().onSuccess(body -> {
        if (request.path().equals("/api/headers")) {
          JsonObject seen = new JsonObject();
          request.headers().forEach((name, value) -> seen.put(name.toLowerCase(Locale.ROOT), value));
          request.response().end(seen.encode());
          return;
        }
        if (request.path().equals("/api/framed")) {
          request.response().putHeader("X-Frame-Options", "SAMEORIGIN");
        }
        request.response().putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("received", body.length()).encode());
      });
    }), TIMEOUT);

    JsonArray routes = new JsonArray().add("/api/ http").add("/small/ http maxBody=1k");
    limited = await(TestGateway.deploy(cluster.node(0), new JsonObject()
      .put("routes", routes).put("rateLimit", 2).put("rateBurst", BURST)
      .put("apiKeys", new JsonArray().add(KEY)).put("apiKeyRate", 50), 2), TIMEOUT).port("http");
    TestKit.Deployed plainGateway = await(TestGateway.deploy(cluster.node(0), new JsonObject()
      .put("routes", routes).put("maxBodySize", "64k").put("maxHeaderSize", "4k")
      .put("corsOrigins", "https://app.example.com"), 1), TIMEOUT);
    plain = plainGateway.port("http");
    plainAdmin = plainGateway.port("admin");
    clientVertx = TestKit.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    TestGateway.close(clientVertx, cluster);
  }

  @Test
  void eachClientAddressHasItsOwnBudgetAndGets429WithRetryAfter() throws Exception {
    HttpClient first = client("127.0.0.2");
    List<Answer> answers = new ArrayList<>();
    for (int i = 0; i < BURST + 1; i++) {
      answers.add(send(first, limited, HttpMethod.GET, "/api/x", Map.of(), null));
    }
    for (int i = 0; i < BURST; i++) {
      assertEquals(200, answers.get(i).status(), "within the burst: " + answers.get(i));
    }
    Answer refused = answers.get(BURST);
    assertEquals(429, refused.status(), refused.toString());
    assertEquals("1", refused.headers().get("Retry-After"));
    JsonObject body = refused.json();
    assertEquals("rate limit exceeded", body.getString("error"));
    assertEquals("address", body.getString("limit"));
    assertTrue(body.getLong("retryAfterMs") > 0 && body.getLong("retryAfterMs") <= 1000, body.encode());
    assertEquals(refused.headers().get("X-Request-Id"), body.getString("requestId"));

    assertEquals(200, send(client("127.0.0.3"), limited, HttpMethod.GET, "/api/x", Map.of(), null).status(),
      "another address is not limited by the first one's requests");
    assertEquals(200, send(first, limited, HttpMethod.GET, "/health", Map.of(), null).status(),
      "health probes are never rate limited");
  }

  @Test
  void aKnownApiKeyHasItsOwnBudgetAndAnUnknownOneGets401() throws Exception {
    HttpClient client = client("127.0.0.4");
    int before = served.get();
    Answer unknown = send(client, limited, HttpMethod.GET, "/api/x", Map.of("X-Api-Key", "not-a-key-of-ours!"), null);
    assertEquals(401, unknown.status());
    assertEquals("unknown API key in X-Api-Key", unknown.json().getString("error"));
    assertEquals(before, served.get(), "a refused request never reaches a node");
    for (int i = 0; i < BURST * 3; i++) {
      assertEquals(200, send(client, limited, HttpMethod.GET, "/api/x", Map.of("X-Api-Key", KEY), null).status(),
        "the key's budget (50/s) is not the address's (burst 5)");
    }
  }

  @Test
  void bodiesOverTheLimitGet413WhetherDeclaredOrStreamed() throws Exception {
    HttpClient client = client("127.0.0.1");
    int before = served.get();
    Answer declared = send(client, plain, HttpMethod.POST, "/api/upload", Map.of(), Buffer.buffer(new byte[65 * 1024]));
    assertEquals(413, declared.status(), declared.toString());
    assertEquals("request body too large", declared.json().getString("error"));
    assertEquals(65536, declared.json().getLong("limit"));
    assertEquals(before, served.get(), "a body declared too large never reaches a node");

    Answer fits = send(client("127.0.0.1"), plain, HttpMethod.POST, "/api/upload", Map.of(), Buffer.buffer(new byte[60 * 1024]));
    assertEquals(200, fits.status());
    assertEquals(60 * 1024, fits.json().getInteger("received"));

    // Chunked: no length to check up front; counted as it streams, against the route's own 1k.
    Answer streamed = sendChunked(client("127.0.0.1"), plain, "/small/upload", 8, 512);
    assertEquals(413, streamed.status(), streamed.toString());
    assertEquals(1024, streamed.json().getLong("limit"));
    Answer streamedFits = sendChunked(client("127.0.0.1"), plain, "/small/upload", 2, 512);
    assertEquals(200, streamedFits.status(), streamedFits.toString());
    assertEquals(1024, streamedFits.json().getInteger("received"));
  }

  /**
   * A client that writes its whole body before reading (most scripts and many libraries do) gets its
   * 413, and a connection that ends with a FIN: the gateway reads what is still arriving and drops it.
   */
  @Test
  void aClientStillWritingARefusedBodyGetsThe413AndAFinNotAReset() throws Exception {
    int body = 8 * 1024 * 1024;
    int before = served.get();
    try (RawHttp raw = RawHttp.connect(plain)) {
      raw.write("POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + body + "\r\n\r\n");
      raw.writeBody(body, 64 * 1024, false);
      assertEquals(413, raw.read().status(), "refused at the edge for its declared length");
      raw.timeout(5_000);
      assertTrue(raw.closedCleanly());
    }
    assertEquals(before, served.get(), "a body declared too large never reaches a node");
    try (RawHttp raw = RawHttp.connect(plain)) {
      raw.write("POST /small/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n");
      raw.writeBody(body, 64 * 1024, true);
      assertEquals(413, raw.read().status(), "refused as it streamed past the route's 1k");
      raw.timeout(5_000);
      assertTrue(raw.closedCleanly());
    }
  }

  @Test
  void theNodeGetsEndToEndHeadersAndForwardedOnes() throws Exception {
    // Keep-alive: a client that closes sets "Connection: close" over the one given here.
    HttpClient client = clientVertx.createHttpClient(new HttpClientOptions().setLocalAddress("127.0.0.5").setKeepAlive(true));
    Answer answer = send(client, plain, HttpMethod.GET, "/api/headers", Map.of(
      "X-Custom", "kept", "X-Forwarded-For", "10.0.0.1", "X-Request-Id", "trace-7",
      "Keep-Alive", "timeout=5", "Connection", "keep-alive, X-Hop", "X-Hop", "named by Connection"), null);
    assertEquals(200, answer.status(), answer.toString());
    JsonObject seen = answer.json();
    assertEquals("kept", seen.getString("x-custom"));
    assertEquals("trace-7", seen.getString("x-request-id"));
    assertEquals("10.0.0.1, 127.0.0.5", seen.getString("x-forwarded-for"), "the client's address appended");
    assertEquals("http", seen.getString("x-forwarded-proto"));
    assertEquals("127.0.0.1:" + plain, seen.getString("x-forwarded-host"), "the Host the client asked for");
    assertNull(seen.getString("keep-alive"), "hop-by-hop: " + seen.encode());
    assertNull(seen.getString("x-hop"), "named by the client's Connection header: " + seen.encode());
  }

  @Test
  void theDashboardItsStateAndMetricsAreOnTheAdminPortOnly() throws Exception {
    HttpClient client = client("127.0.0.1");
    for (String internal : List.of("/dashboard/", "/dashboard/state", "/metrics")) {
      assertEquals(404, send(client, plain, HttpMethod.GET, internal, Map.of(), null).status(), "public port: " + internal);
      assertEquals(200, send(client, plainAdmin, HttpMethod.GET, internal, Map.of(), null).status(), "admin port: " + internal);
    }
    for (String probe : List.of("/health", "/ready")) {
      assertEquals(200, send(client, plain, HttpMethod.GET, probe, Map.of(), null).status(), "load balancers probe the public port: " + probe);
      assertEquals(200, send(client, plainAdmin, HttpMethod.GET, probe, Map.of(), null).status(), probe);
    }
  }

  @Test
  void headersOverTheLimitGet431() throws Exception {
    Answer answer = send(client("127.0.0.1"), plain, HttpMethod.GET, "/api/x", Map.of("X-Big", "x".repeat(5000)), null);
    assertEquals(431, answer.status());
    assertEquals("request header fields too large", answer.json().getString("error"));
  }

  @Test
  void corsLetsTheConfiguredOriginInAndKeepsOthersOut() throws Exception {
    HttpClient client = client("127.0.0.1");
    Answer preflight = send(client, plain, HttpMethod.OPTIONS, "/api/x",
      Map.of("Origin", "https://app.example.com", "Access-Control-Request-Method", "PUT",
        "Access-Control-Request-Headers", "content-type,x-request-id"), null);
    assertEquals(204, preflight.status(), preflight.toString());
    assertEquals("https://app.example.com", preflight.headers().get("Access-Control-Allow-Origin"));
    assertTrue(preflight.headers().get("Access-Control-Allow-Methods").contains("PUT"));
    assertEquals("600", preflight.headers().get("Access-Control-Max-Age"));

    Answer allowed = send(client, plain, HttpMethod.GET, "/api/x", Map.of("Origin", "https://app.example.com"), null);
    assertEquals(200, allowed.status());
    assertEquals("https://app.example.com", allowed.headers().get("Access-Control-Allow-Origin"));
    assertTrue(allowed.headers().get("Access-Control-Expose-Headers").contains("X-Request-Id"));

    int before = served.get();
    Answer other = send(client, plain, HttpMethod.GET, "/api/x", Map.of("Origin", "https://evil.example.net"), null);
    assertEquals(403, other.status());
    assertEquals("origin not allowed", other.json().getString("error"));
    assertNull(other.headers().get("Access-Control-Allow-Origin"));
    assertEquals(before, served.get());
  }

  @Test
  void responsesCarrySecurityHeadersUnlessTheServiceSetItsOwn() throws Exception {
    HttpClient client = client("127.0.0.1");
    for (String path : List.of("/api/x", "/nowhere")) {
      Answer answer = send(client, plain, HttpMethod.GET, path, Map.of(), null);
      assertEquals("nosniff", answer.headers().get("X-Content-Type-Options"), path);
      assertEquals("DENY", answer.headers().get("X-Frame-Options"), path);
      assertEquals("no-referrer", answer.headers().get("Referrer-Policy"), path);
    }
    Answer framed = send(client, plain, HttpMethod.GET, "/api/framed", Map.of(), null);
    assertEquals(List.of("SAMEORIGIN"), framed.headers().getAll("X-Frame-Options"));
  }

  // ---- helpers

  /** A client whose connections come from {@code address}: the rate limits key on it. */
  private static HttpClient client(String address) {
    return clientVertx.createHttpClient(new HttpClientOptions().setLocalAddress(address).setKeepAlive(false));
  }

  private static Answer send(HttpClient client, int port, HttpMethod method, String uri, Map<String, String> headers,
                             Buffer body) throws Exception {
    return Answer.send(clientVertx, client, port, method, uri, headers, body);
  }

  /** A POST whose body goes chunked, {@code chunks} of {@code size} bytes; the gateway may answer before it ends. */
  private static Answer sendChunked(HttpClient client, int port, String uri, int chunks, int size) throws Exception {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port).setURI(uri);
    return await(TestKit.onContext(clientVertx, () -> client.request(options).compose(r -> {
      r.setChunked(true);
      Future<Answer> answer = r.response().compose(response -> response.body()
        .map(b -> new Answer(response.statusCode(), response.headers(), b)));
      for (int i = 0; i < chunks; i++) {
        r.write(Buffer.buffer(new byte[size]));
      }
      r.end();
      return answer;
    })), TIMEOUT);
  }
}
