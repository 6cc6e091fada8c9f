package dev.switchboard.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code GET /}, keep-alive, HTTP/2 cleartext, compression, instances, operations endpoints, stop. */
class HttpVerticleTest extends HttpServiceTestBase {

  private static final int STOP_POLLS = 200;
  private static final long STOP_POLL_MS = 10;

  @Test
  void answersHelloWorldAsPlainTextTwiceOverOneKeptAliveConnection(VertxTestContext ctx) {
    HttpClient client = client(new HttpClientOptions().setKeepAlive(true));
    deploy().onComplete(ctx.succeeding(http -> {
      int port = http.port("http");
      Future<Response> first = get(client, port, "/");
      Future<Response> second = first.compose(r -> get(client, port, "/"));
      second.onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        for (Response r : List.of(first.result(), second.result())) {
          assertEquals(200, r.status());
          assertEquals("text/plain", r.header("content-type"));
          assertEquals("11", r.header("content-length"));
          assertEquals("Hello World", r.body().toString());
        }
        assertSame(first.result().head().request().connection(), second.result().head().request().connection(),
          "the second request reused the first one's connection");
        ctx.completeNow();
      })));
    }));
  }

  @Test
  void answersHelloWorldTheSameHoweverTheRootIsWritten(VertxTestContext ctx) {
    // "/" (with or without a query) goes straight to the answer; what the router normalizes first
    // goes through it: both must answer alike.
    HttpClient client = client();
    List<String> uris = List.of("/", "/?name=Ada", "//", "/./", "/%2E/");
    deploy().onComplete(ctx.succeeding(http -> {
      List<Future<Response>> answers = new ArrayList<>();
      for (String uri : uris) {
        answers.add(get(client, http.port("http"), uri));
      }
      Future.all(answers).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        for (int i = 0; i < uris.size(); i++) {
          Response r = answers.get(i).result();
          assertEquals(200, r.status(), uris.get(i));
          assertEquals("text/plain", r.header("content-type"), uris.get(i));
          assertEquals("11", r.header("content-length"), uris.get(i));
          assertEquals("Hello World", r.body().toString(), uris.get(i));
        }
        ctx.completeNow();
      })));
    }));
  }

  @Test
  void answersPipelinedRequestsInOrderWithoutClosingTheConnection(VertxTestContext ctx) {
    deploy().compose(http -> connect(http.port("http"))).onComplete(ctx.succeeding(socket -> {
      Buffer received = Buffer.buffer();
      socket.closeHandler(v -> ctx.failNow("the server closed a kept-alive connection after: " + received));
      socket.handler(chunk -> {
        received.appendBuffer(chunk);
        String text = received.toString();
        if (!text.endsWith("\"path\":\"/nowhere\"}")) {
          return;
        }
        socket.closeHandler(null);
        ctx.verify(() -> {
          assertTrue(text.startsWith("HTTP/1.1 200 OK\r\n"), text);
          int hello = text.indexOf("\r\n\r\nHello World");
          int notFound = text.indexOf("HTTP/1.1 404 Not Found\r\n");
          assertTrue(hello > 0 && notFound > hello, "answers in request order: " + text);
          assertFalse(text.toLowerCase(Locale.ROOT).contains("connection: close"), text);
          ctx.completeNow();
        });
      });
      socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n");
    }));
  }

  @Test
  void answersHeadWithTheHeadersOfGetAndNoBody(VertxTestContext ctx) {
    HttpClient client = client();
    deploy().compose(http -> send(client, http.port("http"), HttpMethod.HEAD, "/", null))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(200, r.status());
        assertEquals("text/plain", r.header("content-type"));
        assertEquals("11", r.header("content-length"));
        assertEquals(0, r.body().length());
        ctx.completeNow();
      })));
  }

  @Test
  void speaksHttp2CleartextWithPriorKnowledgeAndWithUpgrade(VertxTestContext ctx) {
    HttpClient prior = client(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
    HttpClient upgrade = client(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(true));
    deploy(new JsonObject().put("h2c", true), 1).onComplete(ctx.succeeding(http -> {
      int port = http.port("http");
      Future<Response> a = get(prior, port, "/");
      Future<Response> b = send(upgrade, port, HttpMethod.POST, "/echo", Buffer.buffer("over h2c"));
      Future.all(a, b).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        assertEquals(HttpVersion.HTTP_2, a.result().head().version());
        assertEquals("Hello World", a.result().body().toString());
        assertEquals(HttpVersion.HTTP_2, b.result().head().version());
        assertEquals("over h2c", b.result().body().toString());
        ctx.completeNow();
      })));
    }));
  }

  @Test
  void compressesWithGzipOrDeflateOnlyWhenTheClientAcceptsIt(VertxTestContext ctx) {
    HttpClient client = client(new HttpClientOptions().setDecompressionSupported(false));
    deploy().onComplete(ctx.succeeding(http -> {
      int port = http.port("http");
      Future<Response> gzip = get(client, port, "/", "accept-encoding", "gzip");
      Future<Response> deflate = gzip.compose(r -> get(client, port, "/", "accept-encoding", "deflate"));
      Future<Response> plain = deflate.compose(r -> get(client, port, "/"));
      plain.onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        assertEquals("gzip", gzip.result().header("content-encoding"));
        assertEquals("Hello World", inflate(new GZIPInputStream(new ByteArrayInputStream(gzip.result().body().getBytes()))));
        assertEquals("deflate", deflate.result().header("content-encoding"));
        assertEquals("Hello World", inflate(new InflaterInputStream(new ByteArrayInputStream(deflate.result().body().getBytes()))));
        assertNull(plain.result().header("content-encoding"));
        assertEquals("Hello World", plain.result().body().toString());
        ctx.completeNow();
      })));
    }));
  }

  @Test
  void leavesTheEchoUncompressedSoItsLengthStaysTheRequestLength(VertxTestContext ctx) {
    byte[] text = "a compressible body ".repeat(500).getBytes(StandardCharsets.US_ASCII);
    HttpClient client = client(new HttpClientOptions().setDecompressionSupported(false));
    deploy().compose(http -> send(client, http.port("http"), HttpMethod.POST, "/echo", Buffer.buffer(text), "accept-encoding", "gzip, deflate"))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(200, r.status());
        assertFalse("gzip".equals(r.header("content-encoding")) || "deflate".equals(r.header("content-encoding")));
        assertEquals(String.valueOf(text.length), r.header("content-length"));
        assertArrayEquals(text, r.body().getBytes());
        ctx.completeNow();
      })));
  }

  @Test
  void servesFreshConnectionsFromBothInstancesSharingThePort(VertxTestContext ctx) {
    int requests = 50;
    deploy(new JsonObject(), 2).onComplete(ctx.succeeding(http -> {
      List<Future<Response>> all = new ArrayList<>();
      for (int i = 0; i < requests; i++) {
        HttpClient fresh = client(new HttpClientOptions().setKeepAlive(false));
        all.add(get(fresh, http.port("http"), "/").eventually(fresh::close));
      }
      Future.all(all).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        for (Future<Response> r : all) {
          assertEquals("Hello World", r.result().body().toString());
        }
        double one = http.runtime().meters().get("switchboard.http.requests").tag("instance", "1").counter().count();
        double two = http.runtime().meters().get("switchboard.http.requests").tag("instance", "2").counter().count();
        assertEquals(requests, one + two);
        assertTrue(one > 0 && two > 0, "instance 1 served " + one + ", instance 2 served " + two);
        ctx.completeNow();
      })));
    }));
  }

  @Test
  void servesHealthReadyAndMetricsOnTheServicePort(VertxTestContext ctx) {
    HttpClient client = client();
    deploy().onComplete(ctx.succeeding(http -> {
      int port = http.port("http");
      Future<Response> health = get(client, port, "/health");
      Future<Response> ready = health.compose(r -> get(client, port, "/ready"));
      Future<Response> metrics = ready.compose(r -> get(client, port, "/metrics"));
      metrics.onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        assertEquals(200, health.result().status());
        assertEquals(200, ready.result().status());
        assertEquals(200, metrics.result().status());
        assertTrue(metrics.result().body().toString().contains("switchboard_http_requests_total{instance=\"1\"}"),
          metrics.result().body().toString());
        ctx.completeNow();
      })));
    }));
  }

  @Test
  void stopRefusesNewConnectionsButLetsTheRequestInFlightFinish(VertxTestContext ctx) {
    HttpClient client = client();
    deploy().onComplete(ctx.succeeding(http -> {
      int port = http.port("http");
      Promise<Void> stopped = Promise.promise();
      Future<String> echoed = client.request(HttpMethod.POST, port, "127.0.0.1", "/echo").compose(request -> {
        request.setChunked(true);
        request.write("sent before stop, ");
        // The response head is written with the first echoed chunk: the request is in flight now.
        return request.response().compose(response -> {
          Future<Buffer> body = response.body();
          vertx.undeploy(http.id()).onComplete(stopped);
          // The rest goes only once the server is surely stopping: it no longer accepts.
          return awaitRefused(port, STOP_POLLS)
            .compose(v -> request.end("sent after stop"))
            .compose(v -> body);
        });
      }).map(Buffer::toString);
      Future.all(echoed, stopped.future()).onComplete(ctx.succeeding(v -> ctx.verify(() -> {
        assertEquals("sent before stop, sent after stop", echoed.result());
        ctx.completeNow();
      })));
    }));
  }

  /** Connects every {@link #STOP_POLL_MS} until the port refuses, at most {@code tries} times. */
  private Future<Void> awaitRefused(int port, int tries) {
    return connect(port).transform(ar -> {
      if (ar.failed()) {
        return Future.succeededFuture();
      }
      ar.result().close();
      if (tries <= 1) {
        return Future.failedFuture(new AssertionError("port " + port + " still accepts after undeploy"));
      }
      return vertx.timer(STOP_POLL_MS).compose(t -> awaitRefused(port, tries - 1));
    });
  }

  private static String inflate(InputStream in) throws Exception {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
