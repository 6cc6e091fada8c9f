package dev.switchboard.shared.testkit;

import dev.switchboard.shared.IngressOptions;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

/**
 * What every Switchboard HTTP port holds, as a test a module extends for each of its ports: RFC
 * 9112 framing and the head timeout of its {@code ingress} settings ({@link HttpEdgeChecks}).
 */
public abstract class HttpEdgeContract {

  /** Short, so that the timeout case does not wait long. */
  protected static final Duration HEAD_TIMEOUT = Duration.ofSeconds(1);

  private Vertx vertx;
  private int port;

  /** Deploys the service under test in {@code vertx} with {@code ingress}; returns the port to check. */
  protected abstract int deploy(Vertx vertx, IngressOptions ingress) throws Exception;

  @BeforeEach
  void deployService() throws Exception {
    vertx = TestKit.vertx();
    port = deploy(vertx, new IngressOptions(HEAD_TIMEOUT, List.of()));
  }

  @AfterEach
  void closeVertx() throws Exception {
    TestKit.await(vertx.close());
  }

  @Test
  void refusesContentLengthWithTransferEncoding() throws Exception {
    HttpEdgeChecks.refusesLengthWithChunked(port);
  }

  @Test
  void closesAHeadThatDoesNotCompleteInTime() throws Exception {
    HttpEdgeChecks.timesOutAHalfHead(port, HEAD_TIMEOUT);
  }
}
