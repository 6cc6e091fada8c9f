package dev.switchboard.http;

import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.TestKit.Deployed;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What the http service's tests share: a Vert.x with metrics per test, the service deployed in it
 * on 127.0.0.1 and a free port, and clients that live as long as the test.
 */
@ExtendWith(VertxExtension.class)
abstract class HttpServiceTestBase {

  protected Vertx vertx;
  /** Vert.x 5 closes a client nobody references any more, so tests keep theirs here. */
  private final List<HttpClient> clients = new ArrayList<>();

  @BeforeEach
  void startVertx() {
    vertx = TestKit.vertx();
  }

  @AfterEach
  void closeVertx() throws Exception {
    TestKit.await(vertx.close());
  }

  protected Future<Deployed> deploy(JsonObject settings, int instances) {
    return TestKit.deploy(vertx, HttpVerticle.DEFINITION, settings, instances);
  }

  protected Future<Deployed> deploy() {
    return deploy(new JsonObject(), 1);
  }

  /** A client to 127.0.0.1 with at most one HTTP/1 connection (HTTP/2 has one by default). */
  protected HttpClient client(HttpClientOptions options) {
    HttpClient client = vertx.createHttpClient(options.setDefaultHost("127.0.0.1"), new PoolOptions().setHttp1MaxSize(1));
    clients.add(client);
    return client;
  }

  protected HttpClient client() {
    return client(new HttpClientOptions());
  }

  protected Future<NetSocket> connect(int port) {
    return vertx.createNetClient().connect(port, "127.0.0.1");
  }

  /**
   * Writes {@code request} on a raw socket and reads everything the server sends until it closes
   * the connection; for what an HTTP client would refuse to send or to read.
   */
  protected Future<String> exchangeUntilClose(int port, String request) {
    return connect(port).compose(socket -> {
      Buffer received = Buffer.buffer();
      Promise<String> closed = Promise.promise();
      socket.handler(received::appendBuffer);
      socket.closeHandler(v -> closed.complete(received.toString()));
      socket.write(request);
      return closed.future();
    });
  }

  /** Sends a request with {@code headers} as name, value pairs and reads the whole response. */
  protected static Future<Response> send(HttpClient client, int port, HttpMethod method, String uri, Buffer body, String... headers) {
    RequestOptions options = new RequestOptions().setPort(port).setMethod(method).setURI(uri);
    for (int i = 0; i < headers.length; i += 2) {
      options.putHeader(headers[i], headers[i + 1]);
    }
    return client.request(options)
      .compose(request -> body == null ? request.send() : request.send(body))
      .compose(Response::read);
  }

  protected static Future<Response> get(HttpClient client, int port, String uri, String... headers) {
    return send(client, port, HttpMethod.GET, uri, null, headers);
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

    /** The body as JSON, after checking the content type says so. */
    JsonObject json() {
      assertEquals("application/json", head.getHeader("content-type"), "content-type of " + body);
      return body.toJsonObject();
    }
  }

  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
