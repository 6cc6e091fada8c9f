package dev.switchboard.shared.web;

import dev.switchboard.shared.testkit.HttpEdgeChecks;
import dev.switchboard.shared.testkit.RawHttp;
import dev.switchboard.shared.testkit.TestKit;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 9112 framing and the head timeout on a real server, over raw sockets that normalise nothing. */
class StrictHttpTest {

  private static final Duration HEAD_TIMEOUT = Duration.ofMillis(1000);
  private static final int SLOW_CLIENTS = 200;

  private static Vertx vertx;
  private static int port;
  /** A server with h2c on, whose first request per connection Vert.x decodes before the strict decoder is in. */
  private static int h2cPort;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    port = listen(new HttpServerOptions().setHttp2ClearTextEnabled(false));
    h2cPort = listen(new HttpServerOptions());
  }

  private static int listen(HttpServerOptions options) throws Exception {
    HttpServer server = StrictHttp.server(vertx, options.setHost("127.0.0.1").setPort(0), HEAD_TIMEOUT)
      .invalidRequestHandler(JsonErrors::invalidRequest)
      .requestHandler(request -> request.body().onSuccess(body -> request.response()
        .putHeader("content-type", "application/json").end(new JsonObject().put("received", body.length()).encode())));
    return TestKit.await(server.listen(), Duration.ofSeconds(10)).actualPort();
  }

  @AfterAll
  static void stop() throws Exception {
    TestKit.await(vertx.close(), Duration.ofSeconds(10));
  }

  @ParameterizedTest(name = "{0} → {2}")
  @CsvSource(delimiter = '|', value = {
    "CL with TE           | Content-Length: 5\\r\\nTransfer-Encoding: chunked  | 400",
    "xchunked             | Transfer-Encoding: xchunked                    | 400",
    "chunked, identity    | Transfer-Encoding: chunked, identity           | 400",
    "chunked twice        | Transfer-Encoding: chunked, chunked            | 400",
    "chunked on two lines | Transfer-Encoding: chunked\\r\\nTransfer-Encoding: chunked | 400",
    "gzip, chunked        | Transfer-Encoding: gzip, chunked               | 501",
    "gzip then chunked    | Transfer-Encoding: gzip\\r\\nTransfer-Encoding: chunked | 501",
    "two Host headers     | Host: other.example                            | 400",
    "two lengths          | Content-Length: 5\\r\\nContent-Length: 6         | 400"})
  void badFramingIsRefusedWithJsonAndTheConnectionClosed(String name, String headers, int status) throws Exception {
    try (RawHttp raw = RawHttp.connect(port)) {
      raw.write("POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers.replace("\\r\\n", "\r\n") + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
      RawHttp.Response answer = raw.read();
      assertEquals(status, answer.status(), answer.head() + answer.text());
      assertTrue(new JsonObject(answer.text()).containsKey("error"), answer.text());
      assertTrue(raw.closedByServer(), "the connection is closed after the refusal");
    }
  }

  @Test
  void withH2cTheFirstRequestIsCheckedAsDecodedAndTheNextOnesByTheStrictDecoder() throws Exception {
    try (RawHttp raw = RawHttp.connect(h2cPort)) {
      raw.write("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
      RawHttp.Response answer = raw.read();
      assertEquals(501, answer.status(), answer.head() + answer.text());
      assertTrue(raw.closedByServer());
    }
    try (RawHttp raw = RawHttp.connect(h2cPort)) {
      raw.write("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
      assertEquals(3, new JsonObject(raw.read().text()).getInteger("received"));
      raw.write("POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
      RawHttp.Response answer = raw.read();
      assertEquals(400, answer.status(), "the second request meets the strict decoder: " + answer.text());
      assertTrue(raw.closedByServer());
    }
  }

  @Test
  void noHostOnHttp11IsRefused() throws Exception {
    try (RawHttp raw = RawHttp.connect(port)) {
      raw.write("GET / HTTP/1.1\r\n\r\n");
      RawHttp.Response answer = raw.read();
      assertEquals(400, answer.status(), answer.text());
      assertEquals("no Host header", new JsonObject(answer.text()).getString("error"));
      assertTrue(raw.closedByServer());
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "an HTTP/2 preface on a server without h2c | PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n",
    "HTTP/2.0 in a request line                | GET / HTTP/2.0\\r\\nHost: h\\r\\n\\r\\n",
    "HTTP/3.0                                  | GET / HTTP/3.0\\r\\nHost: h\\r\\n\\r\\n"})
  void otherHttpVersionsGet505InAnHttp11StatusLine(String name, String request) throws Exception {
    try (RawHttp raw = RawHttp.connect(port)) {
      raw.write(request.replace("\\r\\n", "\r\n"));
      RawHttp.Response answer = raw.read();
      assertTrue(answer.head().startsWith("HTTP/1.1 505 "), answer.head());
      assertTrue(new JsonObject(answer.text()).getString("error").startsWith("HTTP version not supported"), answer.text());
      assertTrue(raw.closedByServer());
    }
  }

  @Test
  void validChunkedAndFixedLengthRequestsShareAKeptAliveConnection() throws Exception {
    try (RawHttp raw = RawHttp.connect(port)) {
      raw.write("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n");
      assertEquals(8, new JsonObject(raw.read().text()).getInteger("received"));
      raw.write("POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcd");
      assertEquals(4, new JsonObject(raw.read().text()).getInteger("received"));
      raw.write("GET /c HTTP/1.0\r\n\r\n");
      assertEquals(200, raw.read().status(), "HTTP/1.0 needs no Host");
    }
  }

  @Test
  void slowHeadsAreClosedWithinTheHeadTimeoutWhileOtherRequestsAreAnswered() throws Exception {
    HttpEdgeChecks.closesSlowloris(port, HEAD_TIMEOUT, SLOW_CLIENTS);
  }

  @Test
  void anIdleKeptAliveConnectionIsNotTimedByTheHeadTimeout() throws Exception {
    try (RawHttp raw = RawHttp.connect(port)) {
      raw.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
      assertEquals(200, raw.read().status());
      TestKit.await(vertx.timer(HEAD_TIMEOUT.toMillis() * 2), Duration.ofSeconds(10));
      raw.write("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
      assertEquals(200, raw.read().status(), "still open after twice the head timeout, idle between requests");
    }
  }

  @Test
  void aHeadSplitAtEveryByteDecodesAsOneRequest() {
    byte[] head = "POST /split HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
      .getBytes(StandardCharsets.US_ASCII);
    for (int cut = 1; cut < head.length; cut++) {
      EmbeddedChannel channel = new EmbeddedChannel(new StrictHttp.Decoder(new HttpServerOptions(), HEAD_TIMEOUT.toNanos()));
      channel.writeInbound(Unpooled.wrappedBuffer(head, 0, cut));
      channel.writeInbound(Unpooled.wrappedBuffer(head, cut, head.length - cut));
      List<Object> decoded = new ArrayList<>();
      for (Object message; (message = channel.readInbound()) != null; ) {
        decoded.add(message);
      }
      assertTrue(decoded.get(0) instanceof HttpRequest request && request.decoderResult().isSuccess(), "cut at " + cut);
      assertTrue(decoded.get(decoded.size() - 1) instanceof LastHttpContent, "cut at " + cut);
      decoded.forEach(io.netty.util.ReferenceCountUtil::release);
      channel.finishAndReleaseAll();
    }
  }
}
