package dev.switchboard.systemtest;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The greeter's own Node.js tests ({@code services/greeter-node/test/}: its Zipkin exporter
 * against a fake Zipkin, and greeter.js between a fake bridge and a fake Zipkin), run with
 * {@code node --test} from the repository root so that the build runs them too.
 */
class GreeterNodeSuiteTest {

  private static final long SUITE_MINUTES = 2;

  @Test
  void greeterNodeSuitePasses() throws Exception {
    ProcessBuilder builder = new ProcessBuilder("node", "--test", "services/greeter-node/test/")
      .directory(ServiceProcess.root().toFile())
      .redirectErrorStream(true);
    // the greeter's own settings must not leak in from the environment of the build
    builder.environment().keySet().removeIf(key -> key.startsWith("SWITCHBOARD_"));
    Process suite;
    try {
      suite = builder.start();
    } catch (IOException e) {
      throw new AssertionError("node is not installed (.ci/run installs it): " + e.getMessage(), e);
    }
    CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(suite.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(output ended: " + e.getMessage() + ")";
      }
    });
    try {
      if (!suite.waitFor(SUITE_MINUTES, TimeUnit.MINUTES)) {
        throw new AssertionError("node --test services/greeter-node/test/ did not finish in " + SUITE_MINUTES + " minutes");
      }
      String text = output.get(10, TimeUnit.SECONDS);
      System.out.println(text);
      assertEquals(0, suite.exitValue(), () -> "node --test services/greeter-node/test/ failed:\n" + text);
    } finally {
      suite.destroyForcibly();
    }
  }
}
