package dev.switchboard.gateway;

import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;

import java.util.Map;

import static dev.switchboard.gateway.TestGateway.TIMEOUT;
import static dev.switchboard.shared.testkit.TestKit.await;

/** A whole HTTP answer as the tests look at it. */
record Answer(int status, MultiMap headers, Buffer body) {

  JsonObject json() {
    return body.toJsonObject();
  }

  @Override
  public String toString() {
    return status + " " + body;
  }

  /** Sends one request from {@code vertx}'s context and waits for the whole answer. */
  static Answer send(Vertx vertx, HttpClient client, int port, HttpMethod method, String uri, Map<String, String> headers,
                     Buffer body) throws Exception {
    RequestOptions options = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI(uri);
    headers.forEach(options::putHeader);
    return await(TestKit.onContext(vertx, () -> client.request(options)
      .compose(r -> body == null ? r.send() : r.send(body))
      .compose(r -> r.body().map(b -> new Answer(r.statusCode(), r.headers(), b)))), TIMEOUT);
  }
}
