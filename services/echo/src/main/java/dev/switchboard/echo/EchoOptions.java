package dev.switchboard.echo;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.OptionKey;
import dev.switchboard.shared.OptionsSchema;
import dev.switchboard.shared.Require;
import dev.switchboard.shared.ServiceOptions;
import io.vertx.core.json.JsonObject;

import java.time.Duration;

/**
 * Options of the echo service; the {@code echo} section of the configuration.
 *
 * @param host           interface to listen on, for both the echo and the admin port
 * @param port           TCP echo port; 0 picks a free one
 * @param adminPort      HTTP port of {@code /health}, {@code /ready}, {@code /metrics}; 0 picks a free one
 * @param mode           {@code raw} returns every byte unchanged; {@code line} answers each line with
 *                       {@code You said: <line>}
 * @param idleTimeout    a connection with nothing read or written for this long is closed
 * @param maxConnections connections beyond this many (per process) are closed on accept
 * @param maxLineLength  line mode: a longer line gets an error line and the connection is closed
 * @param writeQueueMax  bytes queued for a client before reading from it pauses
 */
public record EchoOptions(
  String host,
  int port,
  int adminPort,
  Mode mode,
  Duration idleTimeout,
  int maxConnections,
  int maxLineLength,
  int writeQueueMax) implements ServiceOptions {

  /** How the service answers. */
  public enum Mode { RAW, LINE }

  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 9999;
  public static final int DEFAULT_ADMIN_PORT = 9998;
  public static final Mode DEFAULT_MODE = Mode.RAW;
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
  public static final int DEFAULT_MAX_LINE_LENGTH = 64 * 1024;
  public static final int DEFAULT_WRITE_QUEUE_MAX = 64 * 1024;
  public static final int MAX_LINE_LENGTH_LIMIT = 16 * 1024 * 1024;
  public static final int WRITE_QUEUE_MAX_LIMIT = 64 * 1024 * 1024;

  /** The keys of the {@code echo} section, one per component. */
  public static final OptionsSchema<EchoOptions> SCHEMA = OptionsSchema.of("echo", EchoOptions.class, EchoOptions::new,
    OptionKey.string("host", "interface to listen on (echo and admin ports)"),
    OptionKey.integer("port", "TCP echo port"),
    OptionKey.integer("adminPort", "HTTP port for /health, /ready, /metrics"),
    OptionKey.choice("mode", Mode.class, "raw (bytes back unchanged) or line ('You said: <line>')"),
    OptionKey.duration("idleTimeout", "close a connection idle this long"),
    OptionKey.integer("maxConnections", "connections beyond this are closed on accept"),
    OptionKey.integer("maxLineLength", "line mode: longest line in bytes"),
    OptionKey.integer("writeQueueMax", "bytes queued for a client before reading from it pauses"));

  public EchoOptions {
    Require.nonBlank("host", host);
    Require.port("port", port);
    Require.port("adminPort", adminPort);
    if (mode == null) {
      throw new InvalidSettingException("mode", null, "must be one of raw, line");
    }
    Require.positive("idleTimeout", idleTimeout);
    Require.range("maxConnections", maxConnections, 1, Integer.MAX_VALUE);
    Require.range("maxLineLength", maxLineLength, 1, MAX_LINE_LENGTH_LIMIT);
    Require.range("writeQueueMax", writeQueueMax, 1024, WRITE_QUEUE_MAX_LIMIT);
  }

  /** Every option at its default. */
  public EchoOptions() {
    this(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_ADMIN_PORT, DEFAULT_MODE, DEFAULT_IDLE_TIMEOUT,
      DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_LINE_LENGTH, DEFAULT_WRITE_QUEUE_MAX);
  }

  public static EchoOptions fromJson(JsonObject json) {
    return SCHEMA.fromJson(json);
  }

  @Override
  public JsonObject toJson() {
    return SCHEMA.toJson(this);
  }
}
