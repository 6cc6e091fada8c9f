package dev.switchboard.http;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.testkit.HttpEdgeContract;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;


/** The http port holds RFC 9112 framing and the head timeout of the `ingress` settings. */
class HttpEdgeTest extends HttpEdgeContract {

  @Override
  protected int deploy(Vertx vertx, IngressOptions ingress) throws Exception {
    return TestKit.await(TestKit.deploy(vertx, HttpVerticle.DEFINITION, new JsonObject(), 1, ingress)).port("http");
  }
}
