package dev.switchboard.http;

import dev.switchboard.shared.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code GET /api/greet}: a request to the greeter's address. A JVM consumer stands in for the
 * Node.js greeter here; the systemtest's GreeterProcessTest runs the real one.
 */
class ApiGreetTest extends HttpServiceTestBase {

  @Test
  void answersWithTheGreetersReply(VertxTestContext ctx) {
    withGreeter(message -> message.reply(new JsonObject().put("greeting", "Hello, " + ((JsonObject) message.body()).getString("name") + "!")))
      .compose(v -> deploy())
      .compose(http -> get(client(), http.port("http"), "/api/greet?name=Ada%20L"))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(200, r.status());
        assertEquals("Hello, Ada L!", r.json().getString("greeting"));
        ctx.completeNow();
      })));
  }

  @Test
  void passesTheGreetersRefusalOnAs400(VertxTestContext ctx) {
    withGreeter(message -> message.fail(400, "name must not be blank"))
      .compose(v -> deploy())
      .compose(http -> get(client(), http.port("http"), "/api/greet?name=%20"))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(400, r.status());
        assertEquals("name must not be blank", r.json().getString("error"));
        ctx.completeNow();
      })));
  }

  @Test
  void answers400WithoutAName(VertxTestContext ctx) {
    deploy().compose(http -> get(client(), http.port("http"), "/api/greet"))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(400, r.status());
        assertEquals("missing query parameter name", r.json().getString("error"));
        ctx.completeNow();
      })));
  }

  @Test
  void answers503WithoutAGreeterAnd502WhenItBreaks(VertxTestContext ctx) {
    deploy().compose(http -> get(client(), http.port("http"), "/api/greet?name=x")
        .compose(none -> withGreeter(message -> message.fail(500, "boom"))
          .compose(v -> get(client(), http.port("http"), "/api/greet?name=x"))
          .map(broken -> new int[] {none.status(), broken.status()})))
      .onComplete(ctx.succeeding(statuses -> ctx.verify(() -> {
        assertEquals(503, statuses[0]);
        assertEquals(502, statuses[1]);
        ctx.completeNow();
      })));
  }

  @Test
  void answers504WhenTheGreeterDoesNotAnswerWithinBusTimeout(VertxTestContext ctx) {
    withGreeter(message -> { })
      .compose(v -> deploy(new JsonObject().put("busTimeout", "200ms"), 1))
      .compose(http -> get(client(), http.port("http"), "/api/greet?name=Ada"))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(504, r.status());
        assertEquals("greeter service did not answer in time", r.json().getString("error"));
        assertEquals(Addresses.GREETER, r.json().getString("address"));
        assertEquals(200, r.json().getInteger("timeoutMs"));
        ctx.completeNow();
      })));
  }

  @Test
  void passesOtherFailuresOnAs502WithTheirCode(VertxTestContext ctx) {
    withGreeter(message -> message.fail(500, "boom"))
      .compose(v -> deploy())
      .compose(http -> get(client(), http.port("http"), "/api/greet?name=Ada"))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(502, r.status());
        assertEquals("greeter service failed", r.json().getString("error"));
        assertEquals(500, r.json().getInteger("code"));
        assertEquals("boom", r.json().getString("message"));
        ctx.completeNow();
      })));
  }

  private Future<Void> withGreeter(Handler<Message<Object>> handler) {
    return vertx.eventBus().consumer(Addresses.GREETER, handler).completion();
  }
}
