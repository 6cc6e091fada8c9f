package dev.switchboard.bridge;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * The JVM side of the bridge tests (and of the Node and Python client suites): consumers that
 * answer, fail, never answer, publish, show the headers they got, or call back into a client
 * through the bridge.
 */
final class TestConsumers {

  static final int FAILURE_CODE = 42;
  static final String FAILURE_MESSAGE = "failed on purpose";

  private TestConsumers() {
  }

  static Future<Void> register(Vertx vertx) {
    var bus = vertx.eventBus();
    List<MessageConsumer<Object>> consumers = List.of(
      bus.consumer("test.echo", message ->
        message.reply(message.body(), new DeliveryOptions().addHeader("echoed", "true"))),
      bus.consumer("test.fail", message -> message.fail(FAILURE_CODE, FAILURE_MESSAGE)),
      bus.consumer("test.silent", message -> {
        // never answers: requests to it time out
      }),
      bus.consumer("test.call", message -> {
        JsonObject call = (JsonObject) message.body();
        DeliveryOptions options = headers(call).setSendTimeout(call.getLong("timeout", 10_000L));
        bus.request(call.getString("address"), call.getValue("body"), options).onComplete(result -> {
          if (result.succeeded()) {
            message.reply(new JsonObject().put("reply", result.result().body()));
          } else if (result.cause() instanceof ReplyException failure) {
            message.fail(failure.failureCode(), failure.getMessage());
          } else {
            message.fail(-1, String.valueOf(result.cause()));
          }
        });
      }),
      bus.consumer("test.headers", message -> {
        JsonObject headers = new JsonObject();
        message.headers().forEach(header -> headers.put(header.getKey(), header.getValue()));
        message.reply(new JsonObject().put("headers", headers));
      }),
      bus.consumer("test.publish", message -> {
        JsonObject publish = (JsonObject) message.body();
        bus.publish(publish.getString("address"), publish.getValue("body"), headers(publish));
        message.reply(new JsonObject().put("ok", true));
      }));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  /** Delivery options with the {@code headers} object of a test.call or test.publish body (a traceparent, say). */
  private static DeliveryOptions headers(JsonObject call) {
    DeliveryOptions options = new DeliveryOptions();
    call.getJsonObject("headers", new JsonObject()).forEach(header -> options.addHeader(header.getKey(), String.valueOf(header.getValue())));
    return options;
  }
}
