package dev.switchboard.http;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.testkit.HttpEdgeContract;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeUnit;

/** The http port holds RFC 9112 framing and the head timeout of the `ingress` settings. */
class HttpEdgeTest extends HttpEdgeContract {

  @Override
  protected int deploy(Vertx vertx, IngressOptions ingress) throws Exception {
    return TestKit.deploy(vertx, HttpVerticle.DEFINITION, new JsonObject(), 1, ingress)
      .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).port("http");
  }
}
