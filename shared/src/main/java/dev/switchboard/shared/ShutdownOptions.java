package dev.switchboard.shared;

import io.vertx.core.json.JsonObject;

import java.time.Duration;

/**
 * What a process does on SIGTERM; the {@code shutdown} section of the configuration.
 *
 * @param grace how long in-flight work (requests, buffered echo bytes) may take to finish after
 *              the servers stop accepting, before connections are closed
 */
public record ShutdownOptions(Duration grace) {

  public static final String SECTION = "shutdown";
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);
  public static final Duration MAX_GRACE = Duration.ofMinutes(10);

  /** The keys of the section, one per component. */
  public static final OptionsSchema<ShutdownOptions> SCHEMA = OptionsSchema.of(SECTION, ShutdownOptions.class, ShutdownOptions::new,
    OptionKey.duration("grace", "time in-flight work may take to finish on SIGTERM before connections are closed"));

  public ShutdownOptions {
    Require.notNegative("grace", grace);
    if (grace.compareTo(MAX_GRACE) > 0) {
      throw new InvalidSettingException("grace", Settings.format(grace), "must be at most " + Settings.format(MAX_GRACE));
    }
  }

  public ShutdownOptions() {
    this(DEFAULT_GRACE);
  }

  public static ShutdownOptions fromJson(JsonObject json) {
    return SCHEMA.fromJson(json);
  }

  public JsonObject toJson() {
    return SCHEMA.toJson(this);
  }
}
