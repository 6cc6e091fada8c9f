package dev.switchboard.bridge;

import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Starts a Vert.x with the bridge on 127.0.0.1, port 0, and the JVM side of the tests: consumers
 * that answer, fail, stay silent, or call back into a client.
 */
abstract class BridgeTestBase {

  static final String TOKEN = "admin-token-0123456789";
  static final String LIMITED_TOKEN = "limited-token-0123456789";
  /** How long a test waits for the bridge, the bus or a client. */
  static final Duration WAIT = Duration.ofSeconds(20);
  /** How often a condition with no event of its own is checked. */
  static final Duration POLL = Duration.ofMillis(10);

  protected Vertx vertx;
  protected TestKit.Deployed bridge;

  /** Inbound {@code test.*}, {@code client.*}, {@code secret.* authority=admin}; outbound {@code client.*}, {@code test.news}, {@code secret.* authority=admin}. */
  static JsonObject standardSettings() {
    return new JsonObject()
      .put("inbound", new JsonArray(List.of("test.*", "client.*", "secret.* authority=admin")))
      .put("outbound", new JsonArray(List.of("client.*", "test.news", "secret.* authority=admin")));
  }

  /** Starts Vert.x, the JVM-side test consumers, and the bridge with {@code settings}. */
  int startBridge(JsonObject settings) throws Exception {
    vertx = TestKit.vertx();
    TestKit.await(TestConsumers.register(vertx), WAIT);
    bridge = TestKit.await(TestKit.deploy(vertx, BridgeVerticle.DEFINITION, settings, 1), WAIT);
    return bridge.port("tcp");
  }

  @AfterEach
  void closeVertx() throws Exception {
    if (vertx != null) {
      TestKit.await(vertx.close(), WAIT);
    }
  }

  /** The failure of {@code future}; fails the test if it succeeds. */
  static Throwable awaitFailure(Future<?> future) throws Exception {
    return TestKit.await(future.transform(result -> result.succeeded()
      ? Future.failedFuture(new AssertionError("expected a failure, got " + result.result()))
      : Future.succeededFuture(result.cause())), WAIT);
  }

  static JsonObject frame(String type) {
    return new JsonObject().put("type", type);
  }

  static JsonObject frame(String type, String address) {
    return frame(type).put("address", address);
  }

  /**
   * Asserts an {@code err} frame with this code and address. The code is in {@code message}, where
   * the Vert.x clients read it, except for a failed request ({@code failureType}), where as in
   * Vert.x {@code message} is the failure's; {@code code} always has it.
   */
  static void assertErr(JsonObject frame, String code, String address) {
    assertEquals("err", frame.getString("type"), () -> "expected an err frame: " + frame.encode());
    assertEquals(code, frame.getString("code"), () -> frame.encode());
    if (!frame.containsKey("failureType")) {
      assertEquals(code, frame.getString("message"), () -> "the code is in message: " + frame.encode());
    }
    assertEquals(address, frame.getString("address"), () -> frame.encode());
  }
}
