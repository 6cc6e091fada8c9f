package dev.switchboard.files;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What the files service's tests share: a root directory in a fresh temporary directory with a
 * secret file planted beside it, the service deployed on 127.0.0.1 and a free port, and clients.
 * Tests are written straight down: they wait for each future on the test thread, never on an
 * event loop, with a bound.
 */
abstract class FilesTestBase {

  static final String TOKEN = "test-token-0123456789abcdef";
  /** How long a test waits for the service, a client or a file. */
  static final Duration TIMEOUT = TestKit.WAIT;
  /** How often an effect with no event of its own (a file gone) is looked for. */
  static final Duration POLL = Duration.ofMillis(20);

  @TempDir
  Path temp;
  Path root;
  /** Beside the root, so {@code ../secret.txt} from the root would reach it. */
  Path secretFile;
  String secret;
  Vertx vertx;
  int port;
  private final List<HttpClient> clients = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    root = Files.createDirectory(temp.resolve("root"));
    secret = "TOP-SECRET-" + UUID.randomUUID();
    secretFile = Files.writeString(temp.resolve("secret.txt"), secret);
    vertx = TestKit.vertx();
  }

  @AfterEach
  void closeVertx() throws Exception {
    TestKit.await(vertx.close(), TIMEOUT);
  }

  /** Deploys one instance with {@code settings} over the test root and the test token. */
  int deploy(JsonObject settings) {
    return deploy(settings, 1);
  }

  int deploy(JsonObject settings, int instances) {
    return deploy(settings, instances, new IngressOptions());
  }

  int deploy(JsonObject settings, int instances, IngressOptions ingress) {
    JsonObject json = new JsonObject().put("root", root.toString()).put("token", TOKEN).mergeIn(settings);
    port = TestKit.awaitUnchecked(TestKit.deploy(vertx, FilesVerticle.DEFINITION, json, instances, ingress), TIMEOUT).port("http");
    return port;
  }

  int deploy() {
    return deploy(new JsonObject());
  }

  HttpClient client() {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port),
      new PoolOptions().setHttp1MaxSize(4));
    clients.add(client);
    return client;
  }

  /** Sends a request with {@code headers} as name, value pairs and reads the whole response. */
  Response send(HttpMethod method, String uri, Buffer body, String... headers) {
    RequestOptions options = new RequestOptions().setMethod(method).setURI(uri);
    for (int i = 0; i < headers.length; i += 2) {
      options.putHeader(headers[i], headers[i + 1]);
    }
    HttpClient client = client();
    // From an event loop: used from the test's own thread, Vert.x 5.0.8's client now and then never
    // completes a response (see TestKit.onContext).
    return TestKit.awaitUnchecked(TestKit.onContext(vertx, () -> client.request(options)
      .compose(request -> body == null ? request.send() : request.send(body))
      .compose(Response::read)), TIMEOUT);
  }

  Response get(String uri, String... headers) {
    return send(HttpMethod.GET, uri, null, headers);
  }

  Response put(String uri, Buffer body, String... headers) {
    String[] withAuth = new String[headers.length + 2];
    withAuth[0] = "Authorization";
    withAuth[1] = "Bearer " + TOKEN;
    System.arraycopy(headers, 0, withAuth, 2, headers.length);
    return send(HttpMethod.PUT, uri, body, withAuth);
  }

  /**
   * Writes {@code request} as is on a plain socket (no client normalises it) and reads until the
   * server closes; the request should say {@code Connection: close}.
   */
  String raw(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout((int) TIMEOUT.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      in.transferTo(received);
      return received.toString(StandardCharsets.ISO_8859_1);
    }
  }

  /** A GET of {@code target} exactly as written, on a plain socket. */
  String rawGet(String target) throws IOException {
    return raw("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  }

  static int status(String rawResponse) {
    assertEquals("HTTP/1.", rawResponse.substring(0, Math.min(7, rawResponse.length())), rawResponse);
    return Integer.parseInt(rawResponse.substring(9, 12));
  }

  /** Files (also hidden ones) left in the root, recursively; for "nothing left behind" checks. */
  List<String> leftovers() throws IOException {
    try (var walk = Files.walk(root)) {
      return walk.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
    }
  }

  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** A response with its whole body. */
  record Response(HttpClientResponse head, Buffer body) {

    static Future<Response> read(HttpClientResponse response) {
      return response.body().map(body -> new Response(response, body));
    }

    int status() {
      return head.statusCode();
    }

    String header(String name) {
      return head.getHeader(name);
    }

    String text() {
      return body.toString(StandardCharsets.UTF_8);
    }

    JsonObject json() {
      assertEquals("application/json", head.getHeader("content-type"), "content-type of " + body);
      return body.toJsonObject();
    }
  }
}
