package dev.switchboard.echo;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.testkit.HttpEdgeContract;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;


/** The admin port holds RFC 9112 framing and the head timeout of the `ingress` settings. */
class EchoAdminEdgeTest extends HttpEdgeContract {

  @Override
  protected int deploy(Vertx vertx, IngressOptions ingress) throws Exception {
    return TestKit.await(TestKit.deploy(vertx, EchoVerticle.DEFINITION, new JsonObject(), 1, ingress)).port("admin");
  }
}
