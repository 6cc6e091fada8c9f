package dev.switchboard.http;

import io.vertx.core.http.HttpMethod;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;

import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every error is a status with a small JSON body. */
class ErrorResponsesTest extends HttpServiceTestBase {

  @Test
  void answersAnUnknownPathWith404Json(VertxTestContext ctx) {
    deploy().compose(http -> get(client(), http.port("http"), "/nowhere"))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(404, r.status());
        assertEquals("not found", r.json().getString("error"));
        assertEquals("/nowhere", r.json().getString("path"));
        ctx.completeNow();
      })));
  }

  @Test
  void answersAWrongMethodWith405JsonAndAnAllowHeader(VertxTestContext ctx) {
    deploy().compose(http -> send(client(), http.port("http"), HttpMethod.DELETE, "/echo", null))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(405, r.status());
        assertEquals("POST", r.header("allow"));
        assertEquals("method not allowed", r.json().getString("error"));
        assertEquals("DELETE", r.json().getString("method"));
        ctx.completeNow();
      })));
  }

  @Test
  void listsEveryAllowedMethodOfAPathIn405(VertxTestContext ctx) {
    deploy().compose(http -> send(client(), http.port("http"), HttpMethod.PUT, "/", null))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(405, r.status());
        assertEquals("GET, HEAD", r.header("allow"));
        ctx.completeNow();
      })));
  }

  @Test
  void answersHeadersOverMaxHeaderSizeWith431Json(VertxTestContext ctx) {
    deploy().compose(http -> get(client(), http.port("http"), "/", "x-big", "a".repeat(16 * 1024)))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(431, r.status());
        assertEquals("request header fields too large", r.json().getString("error"));
        ctx.completeNow();
      })));
  }

  @Test
  void answersARequestLineOverTheLimitWith414Json(VertxTestContext ctx) {
    String uri = "/" + "a".repeat(HttpVerticle.MAX_REQUEST_LINE);
    deploy().compose(http -> exchangeUntilClose(http.port("http"), "GET " + uri + " HTTP/1.1\r\nHost: x\r\n\r\n"))
      .onComplete(ctx.succeeding(text -> ctx.verify(() -> {
        assertTrue(text.matches("(?s)HTTP/1\\.[01] 414 .*"), text);
        assertTrue(text.toLowerCase(Locale.ROOT).contains("\r\ncontent-type: application/json\r\n"), text);
        assertTrue(text.endsWith("{\"error\":\"request line too long\"}"), text);
        ctx.completeNow();
      })));
  }

  @Test
  void answersAMalformedRequestWith400Json(VertxTestContext ctx) {
    deploy().compose(http -> exchangeUntilClose(http.port("http"), "GET / HTTP/9.9.9\r\nHost: x\r\n\r\n"))
      .onComplete(ctx.succeeding(text -> ctx.verify(() -> {
        assertTrue(text.matches("(?s)HTTP/1\\.[01] 400 .*"), text);
        assertTrue(text.toLowerCase(Locale.ROOT).contains("\r\ncontent-type: application/json\r\n"), text);
        assertTrue(text.endsWith("{\"error\":\"malformed request\"}"), text);
        ctx.completeNow();
      })));
  }
}
