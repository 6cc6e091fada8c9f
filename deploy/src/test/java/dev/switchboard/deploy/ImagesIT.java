package dev.switchboard.deploy;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every image builds and starts here: {@code scripts/images --local-base --check} builds the
 * offline JRE base and an image per service from the jars of this build, starts each with a
 * read-only root filesystem and no network, asks {@code /ready} (a Node.js service: {@code /health}) from inside the container, and
 * stops it with SIGTERM. Needs podman (the script installs it when run as root).
 */
class ImagesIT {

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  /** jdeps, jlink, an image per service and a start each, on a slow machine. */
  private static final long TIMEOUT_MINUTES = 10;

  @Test
  void everyImageBuildsStartsReadyFromInsideAndStopsCleanly() throws Exception {
    Process script = new ProcessBuilder("bash", ROOT.resolve("scripts/images").toString(), "--local-base", "--check")
      .redirectErrorStream(true)
      .start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        System.out.println(line);
        lines.add(line);
      }
    }
    assertTrue(script.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES), "scripts/images did not finish");
    String output = String.join("\n", lines);
    assertEquals(0, script.exitValue(), output);
    for (String service : ManifestValidationTest.services()) {
      // a Node.js service has no bridge to reach without a network: it must be healthy, not ready
      String probe = ManifestValidationTest.isNodeService(ROOT.resolve("services").resolve(service)) ? "/health" : "/ready";
      assertTrue(lines.stream().anyMatch(l -> l.matches("images: " + service + " +" + probe + " 200 from inside, user 10001:10001, read-only root, exit 0 on SIGTERM.*")),
        service + " was not checked:\n" + output);
    }
  }
}
