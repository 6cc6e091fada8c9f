package dev.switchboard.files;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.testkit.HttpEdgeContract;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The files port holds RFC 9112 framing and the head timeout of the `ingress` settings. */
class FilesEdgeTest extends HttpEdgeContract {

  @TempDir
  Path root;

  @Override
  protected int deploy(Vertx vertx, IngressOptions ingress) throws Exception {
    JsonObject settings = new JsonObject().put("root", root.toString()).put("token", "edge-token-0123456789");
    return TestKit.await(TestKit.deploy(vertx, FilesVerticle.DEFINITION, settings, 1, ingress)).port("http");
  }
}
