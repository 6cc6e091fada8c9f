package dev.switchboard.bridge;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.testkit.HttpEdgeContract;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;


/** The admin port holds RFC 9112 framing and the head timeout of the `ingress` settings. */
class BridgeAdminEdgeTest extends HttpEdgeContract {

  @Override
  protected int deploy(Vertx vertx, IngressOptions ingress) throws Exception {
    return TestKit.await(TestKit.deploy(vertx, BridgeVerticle.DEFINITION, BridgeTestBase.standardSettings(), 1, ingress)).port("admin");
  }
}
