package dev.switchboard.http;

import dev.switchboard.shared.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code GET /api/echo}: HTTP in, a request to the echo address on the bus, JSON out. */
class ApiEchoTest extends HttpServiceTestBase {

  @Test
  void answersWithTheEchoServicesReply(VertxTestContext ctx) {
    withConsumer(message -> message.reply(message.body()))
      .compose(v -> deploy())
      .compose(http -> get(client(), http.port("http"), "/api/echo?msg=hello%20bus"))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(200, r.status());
        assertEquals(new JsonObject().put("msg", "hello bus").put("echo", "hello bus"), r.json());
        ctx.completeNow();
      })));
  }

  @Test
  void answers400WhenMsgIsMissing(VertxTestContext ctx) {
    withConsumer(message -> message.reply(message.body()))
      .compose(v -> deploy())
      .compose(http -> get(client(), http.port("http"), "/api/echo"))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(400, r.status());
        assertEquals("missing query parameter msg", r.json().getString("error"));
        ctx.completeNow();
      })));
  }

  @Test
  void answers503WhenNoEchoServiceIsOnTheBus(VertxTestContext ctx) {
    deploy().compose(http -> get(client(), http.port("http"), "/api/echo?msg=hi"))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(503, r.status());
        assertEquals(Addresses.ECHO, r.json().getString("address"));
        ctx.completeNow();
      })));
  }

  @Test
  void answers504WhenTheEchoServiceDoesNotReplyWithinBusTimeout(VertxTestContext ctx) {
    withConsumer(message -> { })
      .compose(v -> deploy(new JsonObject().put("busTimeout", "200ms"), 1))
      .compose(http -> get(client(), http.port("http"), "/api/echo?msg=hi"))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(504, r.status());
        assertEquals(200, r.json().getLong("timeoutMs"));
        ctx.completeNow();
      })));
  }

  @Test
  void answers502WhenTheEchoServiceFails(VertxTestContext ctx) {
    withConsumer(message -> message.fail(42, "broken"))
      .compose(v -> deploy())
      .compose(http -> get(client(), http.port("http"), "/api/echo?msg=hi"))
      .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
        assertEquals(502, r.status());
        assertEquals(42, r.json().getInteger("code"));
        assertEquals("broken", r.json().getString("message"));
        ctx.completeNow();
      })));
  }

  /** Registers a stand-in for the echo service; it lives as long as the test's Vert.x. */
  private Future<Void> withConsumer(Handler<Message<Object>> handler) {
    MessageConsumer<Object> consumer = vertx.eventBus().consumer(Addresses.ECHO, handler);
    return consumer.completion();
  }
}
