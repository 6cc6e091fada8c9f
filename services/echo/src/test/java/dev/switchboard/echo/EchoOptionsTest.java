package dev.switchboard.echo;

import dev.switchboard.shared.testkit.OptionsChecks;
import org.junit.jupiter.api.Test;

import java.time.Duration;

/** Reading, writing and describing the {@code echo} section. */
class EchoOptionsTest {

  @Test
  void everyKeyReadsBackAndIsDescribed() {
    OptionsChecks.readsBackAndDescribesEveryKey(EchoOptions.SCHEMA,
      new EchoOptions("127.0.0.1", 1, 2, EchoOptions.Mode.LINE, Duration.ofSeconds(90), 5, 100, 2048));
  }
}
