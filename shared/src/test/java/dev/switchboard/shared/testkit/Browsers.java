package dev.switchboard.shared.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * What a browser test needs: Debian's Chromium ({@code /usr/bin/chromium}, or {@code CHROMIUM} from
 * the environment) and playwright-core installed with {@code npm ci} in the test's folder. A missing
 * one fails the test and says what to install; it never skips.
 */
public final class Browsers {

  private Browsers() {
  }

  /** The Chromium executable, once {@code browserDir} (relative to the module) has playwright-core. */
  public static String chromium(Path browserDir) {
    String chromium = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");
    if (!Files.isExecutable(Path.of(chromium))) {
      fail("Chromium not found at " + chromium + ": install it (apt-get install -y chromium) or set CHROMIUM");
    }
    if (!Files.isDirectory(browserDir.resolve("node_modules").resolve("playwright-core"))) {
      fail("playwright-core is not installed: run npm ci in " + browserDir.toAbsolutePath());
    }
    return chromium;
  }
}
