package dev.switchboard.__NAME__;

import dev.switchboard.shared.OptionKey;
import dev.switchboard.shared.OptionsSchema;
import dev.switchboard.shared.Require;
import dev.switchboard.shared.ServiceOptions;
import io.vertx.core.json.JsonObject;

import java.time.Duration;

/**
 * Options of the __NAME__ service; the {@code __NAME__} section of the configuration.
 *
 * @param host          interface to listen on, for both the TCP and the admin port
 * @param port          TCP port; 0 picks a free one
 * @param adminPort     HTTP port of {@code /health}, {@code /ready}, {@code /metrics}; 0 picks a free one
 * @param maxLineLength a longer line is answered with an error line and the connection closed
 * @param idleTimeout   a connection with nothing read or written for this long is closed
 */
public record __CLASS__Options(String host, int port, int adminPort, int maxLineLength, Duration idleTimeout)
  implements ServiceOptions {

  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = __PORT__;
  public static final int DEFAULT_ADMIN_PORT = __ADMIN_PORT__;
  public static final int DEFAULT_MAX_LINE_LENGTH = 4096;
  public static final int MAX_LINE_LENGTH_LIMIT = 1024 * 1024;
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);

  /** Each key once, in the order of the components: reading, writing, --help and environment variables follow. */
  public static final OptionsSchema<__CLASS__Options> SCHEMA = OptionsSchema.of("__NAME__", __CLASS__Options.class, __CLASS__Options::new,
    OptionKey.string("host", "interface to listen on (TCP and admin ports)"),
    OptionKey.integer("port", "TCP port"),
    OptionKey.integer("adminPort", "HTTP port for /health, /ready, /metrics"),
    OptionKey.integer("maxLineLength", "longest line in bytes"),
    OptionKey.duration("idleTimeout", "close a connection idle this long"));

  public __CLASS__Options {
    Require.nonBlank("host", host);
    Require.port("port", port);
    Require.port("adminPort", adminPort);
    Require.range("maxLineLength", maxLineLength, 1, MAX_LINE_LENGTH_LIMIT);
    Require.positive("idleTimeout", idleTimeout);
  }

  /** Every option at its default. */
  public __CLASS__Options() {
    this(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_ADMIN_PORT, DEFAULT_MAX_LINE_LENGTH, DEFAULT_IDLE_TIMEOUT);
  }

  public static __CLASS__Options fromJson(JsonObject json) {
    return SCHEMA.fromJson(json);
  }

  @Override
  public JsonObject toJson() {
    return SCHEMA.toJson(this);
  }
}
