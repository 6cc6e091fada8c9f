package dev.switchboard.__NAME__;

import dev.switchboard.shared.OptionKey;
import dev.switchboard.shared.OptionsSchema;
import dev.switchboard.shared.Require;
import dev.switchboard.shared.ServiceOptions;
import io.vertx.core.json.JsonObject;

/**
 * Options of the __NAME__ service; the {@code __NAME__} section of the configuration.
 *
 * @param host    interface to listen on
 * @param port    HTTP port; 0 picks a free one
 * @param maxName the longest name greeted, in characters
 */
public record __CLASS__Options(String host, int port, int maxName) implements ServiceOptions {

  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = __PORT__;
  public static final int DEFAULT_MAX_NAME = 100;
  public static final int MAX_NAME_LIMIT = 1000;

  /** Each key once, in the order of the components: reading, writing, --help and environment variables follow. */
  public static final OptionsSchema<__CLASS__Options> SCHEMA = OptionsSchema.of("__NAME__", __CLASS__Options.class, __CLASS__Options::new,
    OptionKey.string("host", "interface to listen on"),
    OptionKey.integer("port", "HTTP port"),
    OptionKey.integer("maxName", "longest name greeted, in characters"));

  public __CLASS__Options {
    Require.nonBlank("host", host);
    Require.port("port", port);
    Require.range("maxName", maxName, 1, MAX_NAME_LIMIT);
  }

  /** Every option at its default. */
  public __CLASS__Options() {
    this(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_MAX_NAME);
  }

  public static __CLASS__Options fromJson(JsonObject json) {
    return SCHEMA.fromJson(json);
  }

  @Override
  public JsonObject toJson() {
    return SCHEMA.toJson(this);
  }
}
