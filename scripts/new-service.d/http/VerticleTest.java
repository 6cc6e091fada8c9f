package dev.switchboard.__NAME__;

import dev.switchboard.shared.testkit.OptionsChecks;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The __NAME__ service on 127.0.0.1, port 0: greetings, a refused name, and its options. */
class __CLASS__VerticleTest {

  private Vertx vertx;
  private int port;

  @BeforeEach
  void deploy() throws Exception {
    vertx = TestKit.vertx();
    port = TestKit.await(TestKit.deploy(vertx, __CLASS__Verticle.DEFINITION, new JsonObject(), 2)).port("http");
  }

  @AfterEach
  void close() throws Exception {
    TestKit.await(vertx.close());
  }

  @Test
  void greetsByName() throws Exception {
    assertEquals(new JsonObject().put("greeting", "Hello, Ada!"), get("/__NAME__/hello?name=Ada").toJsonObject());
  }

  @Test
  void refusesAMissingNameWithAJsonError() throws Exception {
    HttpClient client = vertx.createHttpClient();
    // Status and body read on the client's context, as the answer arrives.
    JsonObject answer = TestKit.await(TestKit.onContext(vertx, () -> client.request(HttpMethod.GET, port, "127.0.0.1", "/__NAME__/hello")
      .compose(request -> request.send())
      .compose(response -> response.body().map(body -> new JsonObject().put("status", response.statusCode()).put("body", body.toString())))));
    assertEquals(400, answer.getInteger("status"));
    assertEquals("name must be 1 to 100 characters", new JsonObject(answer.getString("body")).getString("error"));
  }

  @Test
  void everyOptionReadsBackAndIsDescribed() {
    OptionsChecks.readsBackAndDescribesEveryKey(__CLASS__Options.SCHEMA, new __CLASS__Options("127.0.0.1", 1, 5));
  }

  private Buffer get(String path) throws Exception {
    HttpClient client = vertx.createHttpClient();
    return TestKit.await(TestKit.onContext(vertx, () -> client.request(HttpMethod.GET, port, "127.0.0.1", path)
      .compose(request -> request.send()).compose(HttpClientResponse::body)));
  }
}
