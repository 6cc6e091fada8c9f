package dev.switchboard.http;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code POST /echo}: streaming, headers, and the body size limit. */
class EchoRouteTest extends HttpServiceTestBase {

  private static final int TEN_MIB = 10 * 1024 * 1024;
  private static final int LIMIT = 64 * 1024;

  @Test
  void echoesTenMebibytesInOddSizedChunksByteExactWithContentLength(VertxTestContext ctx) {
    byte[] data = randomBytes(TEN_MIB);
    HttpClient client = client();
    deploy().compose(http -> client.request(HttpMethod.POST, http.port("http"), "127.0.0.1", "/echo"))
      .compose(request -> {
        request.putHeader("content-length", String.valueOf(data.length)).putHeader("content-type", "application/x-test");
        return writeInOddChunks(request, data);
      })
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(200, r.status());
        assertEquals(String.valueOf(TEN_MIB), r.header("content-length"));
        assertNull(r.header("transfer-encoding"));
        assertEquals("application/x-test", r.header("content-type"));
        assertArrayEquals(sha256(data), sha256(r.body().getBytes()));
        ctx.completeNow();
      })));
  }

  @Test
  void echoesTenMebibytesInOddSizedChunksByteExactChunked(VertxTestContext ctx) {
    byte[] data = randomBytes(TEN_MIB);
    HttpClient client = client();
    deploy().compose(http -> client.request(HttpMethod.POST, http.port("http"), "127.0.0.1", "/echo"))
      .compose(request -> writeInOddChunks(request.setChunked(true), data))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(200, r.status());
        assertEquals("chunked", r.header("transfer-encoding"));
        assertNull(r.header("content-length"));
        assertEquals("application/octet-stream", r.header("content-type"));
        assertArrayEquals(sha256(data), sha256(r.body().getBytes()));
        ctx.completeNow();
      })));
  }

  @Test
  void streamsTheFirstChunkBackBeforeTheRequestEnds(VertxTestContext ctx) {
    HttpClient client = client();
    deploy().compose(http -> client.request(HttpMethod.POST, http.port("http"), "127.0.0.1", "/echo"))
      .onComplete(ctx.succeeding(request -> {
        Buffer received = Buffer.buffer();
        request.setChunked(true);
        request.write("first chunk;");
        // Nothing more is sent until the first chunk has come back: a server that buffered the
        // body would never answer, and the test would time out.
        request.response().onComplete(ctx.succeeding(response -> {
          response.handler(chunk -> {
            boolean firstComplete = received.length() < "first chunk;".length();
            received.appendBuffer(chunk);
            if (firstComplete && received.length() >= "first chunk;".length()) {
              request.end("second chunk");
            }
          });
          response.endHandler(v -> ctx.verify(() -> {
            assertEquals("first chunk;second chunk", received.toString());
            ctx.completeNow();
          }));
        }));
      }));
  }

  @Test
  void refusesADeclaredLengthOverTheLimitWith413BeforeReading(VertxTestContext ctx) {
    deploy(new JsonObject().put("maxBodySize", 1000), 1)
      .compose(http -> send(client(), http.port("http"), HttpMethod.POST, "/echo", Buffer.buffer(new byte[1001])))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(413, r.status());
        JsonObject json = r.json();
        assertEquals("request body too large", json.getString("error"));
        assertEquals(1000, json.getLong("limit"));
        ctx.completeNow();
      })));
  }

  @Test
  void acceptsABodyOfExactlyTheLimit(VertxTestContext ctx) {
    byte[] data = randomBytes(1000);
    deploy(new JsonObject().put("maxBodySize", 1000), 1)
      .compose(http -> send(client(), http.port("http"), HttpMethod.POST, "/echo", Buffer.buffer(data)))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(200, r.status());
        assertArrayEquals(data, r.body().getBytes());
        ctx.completeNow();
      })));
  }

  @Test
  void answersExpectContinueWith413InsteadOf100WhenTheLengthIsOverTheLimit(VertxTestContext ctx) {
    deploy(new JsonObject().put("maxBodySize", 1000), 1)
      .compose(http -> exchangeUntilClose(http.port("http"),
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n"))
      .onComplete(ctx.succeeding(text -> ctx.verify(() -> {
        assertTrue(text.startsWith("HTTP/1.1 413 Request Entity Too Large\r\n"), text);
        assertFalse(text.contains("100 Continue"), text);
        assertTrue(text.endsWith("{\"error\":\"request body too large\",\"limit\":1000}"), text);
        ctx.completeNow();
      })));
  }

  @Test
  void cutsAChunkedBodyOverTheLimitWithoutEchoingIt(VertxTestContext ctx) {
    deploy(new JsonObject().put("maxBodySize", LIMIT), 1).compose(http -> connect(http.port("http")))
      .onComplete(ctx.succeeding(socket -> {
        Buffer received = Buffer.buffer();
        socket.handler(received::appendBuffer);
        socket.closeHandler(v -> ctx.verify(() -> {
          // Either a 413 before anything was echoed, or an echo cut short by closing the connection.
          String text = received.toString();
          assertTrue(received.length() < LIMIT + 1024, "echoed " + received.length() + " bytes of a body over the limit");
          assertFalse(text.endsWith("0\r\n\r\n"), "the chunked echo was ended as if complete");
          if (text.startsWith("HTTP/1.1 413")) {
            assertTrue(text.endsWith("{\"error\":\"request body too large\",\"limit\":" + LIMIT + "}"), text);
          } else {
            assertTrue(text.isEmpty() || text.startsWith("HTTP/1.1 200"), text.substring(0, Math.min(200, text.length())));
          }
          ctx.completeNow();
        }));
        socket.write("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        // Four times the limit, and never the last chunk: only the limit can end this exchange.
        writeChunks(socket, 4 * LIMIT / 8192);
      }));
  }

  @Test
  void resetsOnlyTheHttp2StreamWhoseBodyPassesTheLimit(VertxTestContext ctx) {
    HttpClient h2 = client(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
    deploy(new JsonObject().put("maxBodySize", LIMIT).put("h2c", true), 1).onComplete(ctx.succeeding(http -> {
      int port = http.port("http");
      Future<Response> before = get(h2, port, "/");
      Future<Throwable> cut = before.compose(r -> h2.request(HttpMethod.POST, port, "127.0.0.1", "/echo"))
        .compose(request -> {
          request.setChunked(true);
          for (int i = 0; i < 4 * LIMIT / 8192; i++) {
            request.write(Buffer.buffer(new byte[8192]));
          }
          request.end();
          return request.response().compose(Response::read);
        })
        .transform(ar -> ar.succeeded()
          ? Future.failedFuture(new AssertionError("a body over the limit was echoed whole"))
          : Future.succeededFuture(ar.cause()));
      Future<Response> after = cut.compose(e -> get(h2, port, "/"));
      after.onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertInstanceOf(StreamResetException.class, cut.result(), String.valueOf(cut.result()));
        assertEquals(200, r.status());
        assertEquals("Hello World", r.body().toString());
        HttpConnection first = before.result().head().request().connection();
        assertSame(first, r.head().request().connection(), "the connection survived the reset of one stream");
        ctx.completeNow();
      })));
    }));
  }

  /** Writes {@code data} in chunks of 1, 3, 5, ... bytes and returns the whole response. */
  private static Future<Response> writeInOddChunks(HttpClientRequest request, byte[] data) {
    Future<Response> response = request.response().compose(Response::read);
    int offset = 0;
    int size = 1;
    while (offset < data.length) {
      int n = Math.min(size, data.length - offset);
      request.write(Buffer.buffer().appendBytes(data, offset, n));
      offset += n;
      size = size >= 65_535 ? 1 : size + 2;
    }
    request.end();
    return response;
  }

  private static void writeChunks(NetSocket socket, int count) {
    String chunk = Integer.toHexString(8192) + "\r\n" + "z".repeat(8192) + "\r\n";
    for (int i = 0; i < count; i++) {
      socket.write(chunk);
    }
  }

  private static byte[] randomBytes(int size) {
    byte[] data = new byte[size];
    new Random(size).nextBytes(data);
    return data;
  }
}
