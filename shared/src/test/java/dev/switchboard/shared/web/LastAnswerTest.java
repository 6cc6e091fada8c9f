package dev.switchboard.shared.web;

import dev.switchboard.shared.testkit.RawHttp;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An answer sent before the request's body was read, to a client that writes its whole body before
 * it reads: the answer must reach it, and the connection end with a FIN, not a reset.
 */
class LastAnswerTest {

  /** Far more than the kernel's socket buffers hold, so that most of it arrives after the answer. */
  private static final int BODY = 8 * 1024 * 1024;
  private static final int PIECE = 64 * 1024;

  private static Vertx vertx;
  private static int port;
  /** A router whose body limit (vertx-web's BodyHandler) refuses with 413. */
  private static int routed;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
      .requestHandler(request -> LastAnswer.send(request, 413, new JsonObject().put("error", "request body too large")));
    port = TestKit.await(server.listen(), Duration.ofSeconds(10)).actualPort();
    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create(false).setBodyLimit(1024));
    router.route().handler(ctx -> ctx.response().end("taken"));
    JsonErrors.install(router);
    routed = TestKit.await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
      .requestHandler(router).listen(), Duration.ofSeconds(10)).actualPort();
  }

  @AfterAll
  static void stop() throws Exception {
    TestKit.await(vertx.close(), Duration.ofSeconds(10));
  }

  @Test
  void aDeclaredBodyStillArrivingIsDrainedAndTheConnectionClosedCleanly() throws Exception {
    try (RawHttp raw = RawHttp.connect(port)) {
      raw.write("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + BODY + "\r\n\r\n");
      raw.writeBody(BODY, PIECE, false); // a reset would fail a write
      RawHttp.Response answer = raw.read();
      assertEquals(413, answer.status(), answer.head());
      assertEquals("close", answer.header("Connection"));
      raw.timeout(2_000);
      assertTrue(raw.closedCleanly(), "closed with a FIN once the body was in");
    }
  }

  @Test
  void aChunkedBodyStillArrivingIsDrainedAndTheConnectionClosedCleanly() throws Exception {
    try (RawHttp raw = RawHttp.connect(port)) {
      raw.write("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n");
      raw.writeBody(BODY, PIECE, true);
      assertEquals(413, raw.read().status());
      raw.timeout(2_000);
      assertTrue(raw.closedCleanly(), "closed with a FIN once the last chunk was in");
    }
  }

  @Test
  void aRoutersBodyLimitEndsTheConnectionRatherThanReadingTheWholeBody() throws Exception {
    for (boolean chunked : new boolean[] {false, true}) {
      try (RawHttp raw = RawHttp.connect(routed)) {
        raw.write("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + (chunked ? "Transfer-Encoding: chunked" : "Content-Length: " + BODY) + "\r\n\r\n");
        raw.writeBody(BODY, PIECE, chunked);
        RawHttp.Response answer = raw.read();
        assertEquals(413, answer.status(), answer.head());
        assertEquals("close", answer.header("Connection"), "chunked: " + chunked);
        raw.timeout(2_000);
        assertTrue(raw.closedCleanly(), "chunked: " + chunked);
      }
    }
  }

  @Test
  void aClientThatStopsSendingIsClosedAfterTheLinger() throws Exception {
    try (RawHttp raw = RawHttp.connect(port)) {
      raw.write("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n");
      raw.write(new byte[10]);
      assertEquals(413, raw.read().status());
      long start = System.nanoTime();
      raw.timeout((int) LastAnswer.LINGER.toMillis() + 5_000);
      assertTrue(raw.closedByServer(), "the rest of the body is not waited for beyond the linger");
      long waited = (System.nanoTime() - start) / 1_000_000;
      assertTrue(waited >= LastAnswer.LINGER.toMillis() - 500, "lingered " + waited + " ms");
    }
  }
}
