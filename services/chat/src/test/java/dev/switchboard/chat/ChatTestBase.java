package dev.switchboard.chat;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.auth.AuthOptions;
import dev.switchboard.shared.testkit.RawWebSocket;
import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.TestKit.Deployed;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.io.IOException;

/** A Vert.x per test with the chat deployed on 127.0.0.1 and a free port, and WebSocket clients to it. */
abstract class ChatTestBase {

  protected Vertx vertx;
  /** Vert.x 5 closes a client nobody references any more, so the test keeps it here. */
  protected WebSocketClient client;
  protected int port;

  @BeforeEach
  void startVertx() {
    vertx = TestKit.vertx();
    client = vertx.createWebSocketClient(new WebSocketClientOptions().setMaxConnections(10_000));
  }

  @AfterEach
  void closeVertx() throws Exception {
    TestKit.await(vertx.close());
  }

  protected Deployed deploy(JsonObject settings) {
    Deployed deployed = TestKit.awaitUnchecked(TestKit.deploy(vertx, ChatVerticle.DEFINITION, settings, 2), ChatTestClient.WAIT);
    port = deployed.port("http");
    return deployed;
  }

  /** Deploys with {@code auth} on, believing the tokens {@code auth} describes. */
  protected Deployed deployWithAuth(JsonObject settings, AuthOptions auth) {
    Deployed deployed = TestKit.awaitUnchecked(TestKit.deploy(vertx, ChatVerticle.DEFINITION, settings.copy().put("auth", true), 2,
      new IngressOptions(), auth), ChatTestClient.WAIT);
    port = deployed.port("http");
    return deployed;
  }

  protected ChatTestClient connect() {
    return ChatTestClient.connect(client, port);
  }

  /** A raw socket with a completed handshake, for frames a client library will not send. */
  protected RawWebSocket raw() throws IOException {
    return RawWebSocket.connect("127.0.0.1", port, ChatVerticle.PATH);
  }

  /** A raw socket with a small receive buffer, for a client that will not read. */
  protected RawWebSocket nonReader(int receiveBuffer) throws IOException {
    return RawWebSocket.connect("127.0.0.1", port, RawWebSocket.Request.upgrade("127.0.0.1", port, ChatVerticle.PATH), receiveBuffer);
  }
}
