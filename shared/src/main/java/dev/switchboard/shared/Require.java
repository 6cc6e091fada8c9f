package dev.switchboard.shared;

import java.time.Duration;

/**
 * Checks used by options records in their constructors; each failure is an
 * {@link InvalidSettingException} naming the setting and what it allows.
 */
public final class Require {

  private Require() {
  }

  /** A TCP port to listen on; 0 asks the OS for a free one. */
  public static int port(String key, int value) {
    return range(key, value, 0, 65535);
  }

  public static int range(String key, int value, int min, int max) {
    if (value < min || value > max) {
      throw new InvalidSettingException(key, value, "must be an integer from " + min + " to " + max);
    }
    return value;
  }

  public static long range(String key, long value, long min, long max) {
    if (value < min || value > max) {
      throw new InvalidSettingException(key, value, "must be an integer from " + min + " to " + max);
    }
    return value;
  }

  public static Duration positive(String key, Duration value) {
    if (value == null || value.isNegative() || value.isZero()) {
      throw new InvalidSettingException(key, value == null ? null : Settings.format(value), "must be a positive duration such as 500ms, 30s or 5m");
    }
    return value;
  }

  public static Duration notNegative(String key, Duration value) {
    if (value == null || value.isNegative()) {
      throw new InvalidSettingException(key, value == null ? null : Settings.format(value), "must be zero or a positive duration such as 500ms, 30s or 5m");
    }
    return value;
  }

  public static String nonBlank(String key, String value) {
    if (value == null || value.isBlank()) {
      throw new InvalidSettingException(key, value, "must not be empty");
    }
    return value;
  }
}
