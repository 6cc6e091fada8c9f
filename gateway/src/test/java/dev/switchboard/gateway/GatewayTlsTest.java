package dev.switchboard.gateway;

import dev.switchboard.echo.EchoVerticle;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.testkit.TestCertificate;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.micrometer.core.instrument.Counter;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway with TLS, certificates made for the test: HTTP/2 and HTTP/1.1 by ALPN (curl and
 * Vert.x's client), the node told {@code X-Forwarded-Proto: https}, RFC 9112 framing held over TLS,
 * HSTS on HTTPS only, the plain port's 308 to HTTPS, a certificate replaced on disk serving the next
 * connection while an open one goes on, a pair that does not match left aside, and TLS on a TCP route.
 */
class GatewayTlsTest {

  private static final long PROCESS_TIMEOUT_SECONDS = 30;
  private static final Duration RELOAD_WAIT = Duration.ofSeconds(10);
  private static final Duration RELOAD_POLL = Duration.ofMillis(20);
  private static final int SOCKET_TIMEOUT_MS = 10_000;

  @TempDir
  static Path dir;

  private static TestCluster cluster;
  private static Vertx clientVertx;
  private static TestCertificate first;
  private static TestCertificate second;
  private static TestKit.Deployed gateway;
  private static int https;

  @BeforeAll
  static void start() throws Exception {
    cluster = TestCluster.started(2);
    Vertx node = cluster.node(1);
    int port = await(TestGateway.serveAs(node, "http", request -> request.body().onSuccess(body -> {
      JsonObject seen = new JsonObject();
      request.headers().forEach((name, value) -> seen.put(name.toLowerCase(Locale.ROOT), value));
      request.response().putHeader("Strict-Transport-Security", "max-age=1").end(seen.encode());
    })), TIMEOUT);
    TestKit.Deployed echo = await(TestKit.deploy(node, EchoVerticle.DEFINITION, new JsonObject(), 1), TIMEOUT);
    await(ServiceRegistry.announce(node, echo.runtime()), TIMEOUT);

    first = TestCertificate.create(dir, "first");
    second = TestCertificate.create(dir, "second");
    gateway = deploy("main", first, new JsonObject().put("tlsRedirectPort", 0).put("tcpRoutes", new JsonArray().add("0 echo")));
    https = gateway.port("http");
    clientVertx = TestKit.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    TestGateway.close(clientVertx, cluster);
  }

  /** A gateway serving {@code certificate} from files of its own ({@code name}.crt, .key), read again every 100 ms. */
  private static TestKit.Deployed deploy(String name, TestCertificate certificate, JsonObject more) throws Exception {
    Path cert = dir.resolve(name + ".crt");
    Path key = dir.resolve(name + ".key");
    certificate.writeTo(cert, key);
    return await(TestGateway.deploy(cluster.node(0), new JsonObject()
      .put("routes", new JsonArray().add("/api/ http"))
      .put("healthInterval", "500ms")
      .put("tlsCert", cert.toString()).put("tlsKey", key.toString())
      .put("tlsReloadInterval", "100ms")
      .mergeIn(more), 2), TIMEOUT);
  }

  @Test
  void curlNegotiatesHttp2AndTheNodeHearsHttps() throws Exception {
    Curl answer = curl("--http2", "https://127.0.0.1:" + https + "/api/headers");
    assertEquals("2", answer.version(), "h2 negotiated by ALPN: " + answer);
    JsonObject seen = new JsonObject(answer.body());
    assertEquals("https", seen.getString("x-forwarded-proto"), seen.encode());
    assertEquals("127.0.0.1:" + https, seen.getString("x-forwarded-host"), seen.encode());
    assertTrue(seen.fieldNames().stream().noneMatch(n -> n.startsWith(":")), "no HTTP/2 pseudo-header reaches the node: " + seen);
    assertTrue(answer.headers().contains("strict-transport-security: max-age=31536000\r\n"),
      "the gateway's HSTS, once, the node's own left out: " + answer.headers());
  }

  @Test
  void answersThatEndAnHttp11ConnectionAreWellFormedOverHttp2() throws Exception {
    Path big = Files.write(dir.resolve("big.json"), new byte[128 * 1024]);
    Curl tooLarge = curl("--http2", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@" + big,
      "https://127.0.0.1:" + https + "/bus/echo");
    assertEquals("2", tooLarge.version(), tooLarge.toString());
    assertTrue(tooLarge.headers().startsWith("HTTP/2 413"), tooLarge.headers());
    assertTrue(!tooLarge.headers().contains("connection:"), "no connection header in HTTP/2: " + tooLarge.headers());
    assertEquals("request body too large", new JsonObject(tooLarge.body()).getString("error"));
    Curl declared = curl("--http2", "-X", "POST", "--data-binary", "@" + big, "-H", "Content-Length: " + (64L << 30),
      "https://127.0.0.1:" + https + "/api/upload");
    assertTrue(declared.headers().startsWith("HTTP/2 413"), declared.headers());
    // The gateway's own origin, named by :authority alone (HTTP/2 has no Host header).
    Curl sameOrigin = curl("--http2", "-H", "Origin: https://127.0.0.1:" + https, "https://127.0.0.1:" + https + "/eventbus/info");
    assertTrue(sameOrigin.headers().startsWith("HTTP/2 200"), sameOrigin.headers() + sameOrigin.body());
  }

  @Test
  void curlSpeaksHttp11OverTlsToo() throws Exception {
    Curl answer = curl("--http1.1", "https://127.0.0.1:" + https + "/api/headers");
    assertEquals("1.1", answer.version(), answer.toString());
    assertEquals("https", new JsonObject(answer.body()).getString("x-forwarded-proto"));
  }

  @Test
  void vertxClientsGetHttp11OrHttp2AsTheyAsk() throws Exception {
    for (HttpVersion version : List.of(HttpVersion.HTTP_1_1, HttpVersion.HTTP_2)) {
      HttpClient client = clientVertx.createHttpClient(tlsClient(first).setProtocolVersion(version)
        .setUseAlpn(version == HttpVersion.HTTP_2));
      Reply reply = exchange(client, get(https, "/api/headers"), null);
      JsonObject seen = new JsonObject(reply.body());
      assertEquals(version, reply.version());
      assertEquals(200, reply.status());
      assertEquals("https", seen.getString("x-forwarded-proto"), version + ": " + seen);
      assertEquals("max-age=31536000", reply.headers().get("Strict-Transport-Security"));
      await(client.close(), TIMEOUT);
    }
  }

  @Test
  void theGatewaysOwnAnswersOverHttpsCarryHsts() throws Exception {
    Curl answer = curl("--http2", "https://127.0.0.1:" + https + "/nowhere");
    assertTrue(answer.headers().startsWith("HTTP/2 404"), answer.headers());
    assertTrue(answer.headers().contains("strict-transport-security: max-age=31536000\r\n"), answer.headers());
  }

  @Test
  void http11FramingIsAsStrictOverTls() throws Exception {
    try (SSLSocket socket = tlsSocket(https, first.clientContext())) {
      socket.getOutputStream().write(("POST /api/headers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      String answer = readAll(socket.getInputStream());
      assertTrue(answer.startsWith("HTTP/1.1 400 "), answer);
      assertTrue(answer.contains("Content-Length together with Transfer-Encoding"), answer);
    }
  }

  @Test
  void thePlainPortRedirectsWith308AndNoHsts() throws Exception {
    int plain = gateway.port("redirect");
    HttpClient client = clientVertx.createHttpClient();
    Reply moved = exchange(client, get(plain, "/api/x?y=1&z=%20").setMethod(HttpMethod.POST)
      .putHeader("Host", "shop.example.com:80"), "body");
    String location = "https://shop.example.com:" + https + "/api/x?y=1&z=%20";
    assertEquals(308, moved.status(), moved.body());
    assertEquals(location, moved.headers().get("Location"));
    assertEquals(location, new JsonObject(moved.body()).getString("location"));
    assertNull(moved.headers().get("Strict-Transport-Security"), "never HSTS over plain HTTP");

    Reply forged = exchange(client, get(plain, "/").putHeader("Host", "evil.example.com@x"), null);
    assertEquals(400, forged.status(), "no redirect built from a Host that is not a host");
    assertEquals("no valid Host header to redirect to HTTPS with", new JsonObject(forged.body()).getString("error"));
    await(client.close(), TIMEOUT);
  }

  @Test
  void aPublicHostNamesTheRedirectWhateverTheHostHeader() throws Exception {
    TestKit.Deployed named = deploy("named", first, new JsonObject().put("tlsRedirectPort", 0)
      .put("tlsPublicHost", "api.example.com").put("tlsPublicPort", 443));
    HttpClient client = clientVertx.createHttpClient();
    Reply moved = exchange(client, get(named.port("redirect"), "/a").putHeader("Host", "evil.example.com"), null);
    assertEquals(308, moved.status());
    assertEquals("https://api.example.com/a", moved.headers().get("Location"));
    await(client.close(), TIMEOUT);
    await(cluster.node(0).undeploy(named.id()), TIMEOUT);
  }

  @Test
  void aReplacedCertificateServesTheNextConnectionWhileAnOpenOneGoesOn() throws Exception {
    TestKit.Deployed reloading = deploy("reloading", first, new JsonObject());
    int port = reloading.port("http");
    assertEquals(first.certificate(), served(port));
    HttpClient client = clientVertx.createHttpClient(tlsClient(first).setProtocolVersion(HttpVersion.HTTP_1_1), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(1));
    HttpConnection open = exchange(client, get(port, "/api/one"), null).connection();

    Counter applied = reloads(reloading, "applied");
    double appliedBefore = applied.count();
    second.writeTo(dir.resolve("reloading.crt"), dir.resolve("reloading.key"));
    TestKit.awaitPoll(applied::count, count -> count > appliedBefore, RELOAD_POLL, RELOAD_WAIT, "the new pair applied");
    assertEquals(second.certificate(), served(port), "a new connection gets the new certificate");

    Reply after = exchange(client, get(port, "/api/two"), null);
    assertEquals(200, after.status());
    assertSame(open, after.connection(), "the open connection went on");
    assertEquals(first.certificate(), open.peerCertificates().get(0), "with the certificate it shook hands with");
    await(client.close(), TIMEOUT);
    await(cluster.node(0).undeploy(reloading.id()), TIMEOUT);
  }

  @Test
  void aKeyThatIsNotTheCertificatesIsNotApplied() throws Exception {
    TestKit.Deployed guarded = deploy("guarded", first, new JsonObject());
    int port = guarded.port("http");
    Counter rejected = reloads(guarded, "rejected");
    Counter applied = reloads(guarded, "applied");
    double rejectedBefore = rejected.count();
    double appliedBefore = applied.count();
    // The second certificate beside the first one's key: one file replaced, the pair no longer matches.
    second.writeTo(dir.resolve("guarded.crt"), dir.resolve("unused.key"));
    TestKit.awaitPoll(rejected::count, count -> count > rejectedBefore, RELOAD_POLL, RELOAD_WAIT, "the mismatched pair rejected");
    assertEquals(appliedBefore, applied.count());
    assertEquals(first.certificate(), served(port), "the old pair keeps serving");

    // The second's key too: now a pair, served.
    second.writeTo(dir.resolve("unused.crt"), dir.resolve("guarded.key"));
    TestKit.awaitPoll(applied::count, count -> count > appliedBefore, RELOAD_POLL, RELOAD_WAIT, "the matching pair applied");
    assertEquals(second.certificate(), served(port));
    await(cluster.node(0).undeploy(guarded.id()), TIMEOUT);
  }

  @Test
  void aGatewayWhoseKeyIsNotItsCertificatesDoesNotStart() throws Exception {
    first.writeTo(dir.resolve("bad.crt"), dir.resolve("unused-first.key"));
    second.writeTo(dir.resolve("unused-second.crt"), dir.resolve("bad.key"));
    ExecutionException failed = assertThrows(ExecutionException.class, () -> await(TestGateway.deploy(cluster.node(0),
      new JsonObject().put("tlsCert", dir.resolve("bad.crt").toString()).put("tlsKey", dir.resolve("bad.key").toString()), 1), TIMEOUT));
    assertTrue(String.valueOf(failed.getCause().getMessage()).contains("the key in tlsKey is not the certificate's"),
      failed.getCause().toString());
  }

  @Test
  void answersWrittenBeforeAnyRequestAreEncryptedToo() throws Exception {
    Path cert = dir.resolve("edge.crt");
    Path key = dir.resolve("edge.key");
    first.writeTo(cert, key);
    TestKit.Deployed edge = await(TestGateway.deploy(cluster.node(0), new JsonObject()
      .put("routes", new JsonArray().add("/api/ http"))
      .put("tlsCert", cert.toString()).put("tlsKey", key.toString())
      .put("maxConnectionsPerClient", 1), 1,
      new dev.switchboard.shared.IngressOptions(java.time.Duration.ofMillis(500), List.of())), TIMEOUT);
    int port = edge.port("http");
    try (SSLSocket held = tlsSocket(port, first.clientContext())) {
      // A head that never ends: 408 once the head timeout passes, over TLS.
      held.getOutputStream().write("GET /api/x HTTP/1.1\r\nHost: localhost\r\n".getBytes(StandardCharsets.US_ASCII));
      held.getOutputStream().flush();
      try (SSLSocket second = tlsSocket(port, first.clientContext())) {
        String refused = readAll(second.getInputStream());
        assertTrue(refused.startsWith("HTTP/1.1 429 "), "a second connection of the client: " + refused);
        assertTrue(refused.endsWith("{\"error\":\"too many connections from this client\"}"), refused);
      }
      String timedOut = readAll(held.getInputStream());
      assertTrue(timedOut.startsWith("HTTP/1.1 408 "), timedOut);
    }
    await(cluster.node(0).undeploy(edge.id()), TIMEOUT);
  }

  @Test
  void theTcpRouteSpeaksTlsAndRelaysPlainToTheNode() throws Exception {
    try (SSLSocket socket = tlsSocket(gateway.port("tcp-echo"), first.clientContext())) {
      OutputStream out = socket.getOutputStream();
      out.write("hello over tls\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      byte[] echoed = socket.getInputStream().readNBytes("hello over tls\n".length());
      assertEquals("hello over tls\n", new String(echoed, StandardCharsets.US_ASCII));
    }
    try (Socket plain = new Socket("127.0.0.1", gateway.port("tcp-echo"))) {
      plain.setSoTimeout(SOCKET_TIMEOUT_MS);
      plain.getOutputStream().write("hello\n".getBytes(StandardCharsets.US_ASCII));
      String answer = readAll(plain.getInputStream());
      assertNotEquals("hello\n", answer, "a plain client gets no echo from a TLS port");
    }
  }

  private record Reply(int status, MultiMap headers, String body, HttpVersion version, HttpConnection connection) {
  }

  private static RequestOptions get(int port, String uri) {
    return new RequestOptions().setHost("127.0.0.1").setPort(port).setURI(uri);
  }

  /** One request sent from the client's context, and its whole answer. */
  private static Reply exchange(HttpClient client, RequestOptions options, String body) throws Exception {
    return await(TestKit.onContext(clientVertx, () -> client.request(options)
      .compose(request -> body == null ? request.send() : request.send(body))
      .compose(response -> response.body().map(b -> new Reply(response.statusCode(), response.headers(), b.toString(),
        response.version(), response.request().connection())))), TIMEOUT);
  }

  private static HttpClientOptions tlsClient(TestCertificate trusted) {
    return new HttpClientOptions().setSsl(true).setTrustOptions(new PemTrustOptions().addCertPath(trusted.cert().toString()));
  }

  /** The process's count (every gateway of this JVM adds to it: compare with a count taken before). */
  private static Counter reloads(TestKit.Deployed deployed, String result) {
    return deployed.runtime().meters().get("switchboard.gateway.tls.reloads").tag("result", result).counter();
  }

  /** The certificate a new TLS connection to {@code port} is served (trusting any: it is only looked at). */
  private static X509Certificate served(int port) throws Exception {
    SSLContext any = SSLContext.getInstance("TLS");
    any.init(null, new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    try (SSLSocket socket = tlsSocket(port, any)) {
      Certificate[] chain = socket.getSession().getPeerCertificates();
      return (X509Certificate) chain[0];
    }
  }

  private static SSLSocket tlsSocket(int port, SSLContext context) throws Exception {
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
    socket.setSoTimeout(SOCKET_TIMEOUT_MS);
    SSLParameters parameters = socket.getSSLParameters();
    parameters.setServerNames(List.of(new SNIHostName("localhost")));
    socket.setSSLParameters(parameters);
    socket.startHandshake();
    return socket;
  }

  private static String readAll(InputStream in) {
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    byte[] buffer = new byte[4096];
    try {
      for (int n; (n = in.read(buffer)) > 0; ) {
        read.write(buffer, 0, n);
      }
    } catch (java.io.IOException e) {
      // closed by the server, or reset: what was read is the answer
    }
    return read.toString(StandardCharsets.ISO_8859_1);
  }

  private record Curl(String headers, String body, String version) {
  }

  /** curl with the first certificate as its only CA; its answer's head, body and HTTP version. */
  private static Curl curl(String... args) throws Exception {
    Path head = Files.createTempFile(dir, "head", ".txt");
    Path body = Files.createTempFile(dir, "body", ".txt");
    List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20", "--cacert", first.cert().toString(),
      "-D", head.toString(), "-o", body.toString(), "-w", "%{http_version}"));
    command.addAll(List.of(args));
    Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(curl.waitFor(PROCESS_TIMEOUT_SECONDS, TimeUnit.SECONDS), "curl did not finish");
    assertEquals(0, curl.exitValue(), "curl failed: " + out);
    return new Curl(Files.readString(head, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT).replace("http/", "HTTP/"),
      Files.readString(body), out.trim());
  }
}
