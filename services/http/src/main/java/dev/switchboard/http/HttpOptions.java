package dev.switchboard.http;

import dev.switchboard.shared.OptionKey;
import dev.switchboard.shared.OptionsSchema;
import dev.switchboard.shared.Require;
import dev.switchboard.shared.ServiceOptions;
import io.vertx.core.json.JsonObject;

import java.time.Duration;

/**
 * Options of the http service; the {@code http} section of the configuration.
 *
 * @param host             interface to listen on
 * @param port             HTTP port (HTTP/1.1 and HTTP/2 cleartext); 0 picks a free one
 * @param maxBodySize      largest request body {@code POST /echo} accepts, in bytes
 * @param maxHeaderSize    largest request head (all header lines), in bytes; more gets 431
 * @param idleTimeout      a connection with nothing read or written for this long is closed
 * @param busTimeout       how long {@code GET /api/echo} and {@code GET /api/greet} wait for the
 *                         echo service's or the greeter's reply
 * @param compressionLevel gzip/deflate level for clients that accept it, 1 (fast) to 9 (small)
 * @param h2c              HTTP/2 cleartext on the same port, with prior knowledge and by {@code Upgrade: h2c};
 *                         off by default: to see whether a connection speaks HTTP/2, Vert.x reads its first
 *                         request before the server's checks are in place, so that request's head has no time
 *                         limit and a {@code Content-Length} beside {@code Transfer-Encoding} in it is not refused
 */
public record HttpOptions(
  String host,
  int port,
  long maxBodySize,
  int maxHeaderSize,
  Duration idleTimeout,
  Duration busTimeout,
  int compressionLevel,
  boolean h2c) implements ServiceOptions {

  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 3000;
  public static final long DEFAULT_MAX_BODY_SIZE = 1L << 30;
  public static final int DEFAULT_MAX_HEADER_SIZE = 8 * 1024;
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);
  public static final Duration DEFAULT_BUS_TIMEOUT = Duration.ofSeconds(5);
  public static final int DEFAULT_COMPRESSION_LEVEL = 6;
  public static final int MAX_HEADER_SIZE_LIMIT = 1024 * 1024;

  /** The keys of the {@code http} section, one per component. */
  public static final OptionsSchema<HttpOptions> SCHEMA = OptionsSchema.of("http", HttpOptions.class, HttpOptions::new,
    OptionKey.string("host", "interface to listen on"),
    OptionKey.integer("port", "HTTP port (HTTP/1.1, and h2c when on)"),
    OptionKey.longValue("maxBodySize", "largest POST /echo body in bytes (413 beyond)"),
    OptionKey.integer("maxHeaderSize", "largest request head in bytes (431 beyond)"),
    OptionKey.duration("idleTimeout", "close a connection idle this long"),
    OptionKey.duration("busTimeout", "how long /api/echo and /api/greet wait for the echo service or the greeter"),
    OptionKey.integer("compressionLevel", "gzip/deflate level, 1-9"),
    OptionKey.bool("h2c", "HTTP/2 cleartext on the same port (the first request of a connection then has no head time limit)"));

  public HttpOptions {
    Require.nonBlank("host", host);
    Require.port("port", port);
    Require.range("maxBodySize", maxBodySize, 1, Long.MAX_VALUE);
    Require.range("maxHeaderSize", maxHeaderSize, 1024, MAX_HEADER_SIZE_LIMIT);
    Require.positive("idleTimeout", idleTimeout);
    Require.positive("busTimeout", busTimeout);
    Require.range("compressionLevel", compressionLevel, 1, 9);
  }

  /** Every option at its default. */
  public HttpOptions() {
    this(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_HEADER_SIZE, DEFAULT_IDLE_TIMEOUT,
      DEFAULT_BUS_TIMEOUT, DEFAULT_COMPRESSION_LEVEL, false);
  }

  public static HttpOptions fromJson(JsonObject json) {
    return SCHEMA.fromJson(json);
  }

  @Override
  public JsonObject toJson() {
    return SCHEMA.toJson(this);
  }
}
