package dev.switchboard.gateway.config;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.OptionKey;
import dev.switchboard.shared.OptionsSchema;
import dev.switchboard.shared.Require;
import dev.switchboard.shared.Settings;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the gateway checks at its edge before a request goes anywhere; part of the {@code gateway}
 * section, with flat keys.
 *
 * @param rateLimit       requests per second per client (its address, or the one trusted proxies name; token bucket); 0 turns it off
 * @param rateBurst       requests a client may send at once before the rate applies
 * @param apiKeyHeader    the header that carries an API key
 * @param apiKeys         known API keys; a request with one gets that key's budget instead of its
 *                        address's, a request with an unknown one gets 401; empty: the header is ignored
 * @param apiKeyRate      requests per second per API key (its burst is the same number)
 * @param maxBodySize     largest request body, in bytes, for routes that do not set their own; 413 beyond
 * @param maxHeaderSize   largest request head (all header lines), in bytes; 431 beyond
 * @param maxConnectionsPerClient connections one client address may hold open at once (trusted proxies
 *                        aside); 429 and closed beyond; 0: no bound
 * @param bodyTimeout     a request body that sends no byte for this long, while the gateway waits for
 *                        one, is cut: 408 to the client, the request to the node reset
 * @param corsOrigins     origins allowed to call the gateway from a browser ({@code *}: any); empty: no CORS
 * @param corsMaxAge      how long a browser may cache a preflight answer
 * @param securityHeaders whether responses get {@code X-Content-Type-Options}, {@code X-Frame-Options},
 *                        {@code Referrer-Policy} (when the service behind did not set them)
 */
public record EdgeOptions(
  int rateLimit,
  int rateBurst,
  String apiKeyHeader,
  List<String> apiKeys,
  int apiKeyRate,
  long maxBodySize,
  int maxHeaderSize,
  int maxConnectionsPerClient,
  Duration bodyTimeout,
  List<String> corsOrigins,
  Duration corsMaxAge,
  boolean securityHeaders) {

  public static final int DEFAULT_RATE_LIMIT = 0;
  public static final int DEFAULT_RATE_BURST = 100;
  public static final String DEFAULT_API_KEY_HEADER = "X-Api-Key";
  public static final int DEFAULT_API_KEY_RATE = 1_000;
  public static final long DEFAULT_MAX_BODY_SIZE = 10L << 20;
  public static final int DEFAULT_MAX_HEADER_SIZE = 8 * 1024;
  public static final Duration DEFAULT_BODY_TIMEOUT = Duration.ofSeconds(30);
  /** Far above what browsers open to one host (6 to 15), low enough that one client cannot hold the gateway's sockets. */
  public static final int DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 256;
  public static final Duration DEFAULT_CORS_MAX_AGE = Duration.ofMinutes(10);
  public static final int MIN_API_KEY_LENGTH = 16;
  public static final int MAX_API_KEY_LENGTH = 256;
  private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}");
  static final Pattern ORIGIN = Pattern.compile("\\*|https?://[A-Za-z0-9.-]+(:\\d{1,5})?");

  /** The keys, in the {@code gateway} section as they are; API keys are written hidden. */
  public static final OptionsSchema<EdgeOptions> SCHEMA = OptionsSchema.nested(EdgeOptions.class, EdgeOptions::new,
    OptionKey.integer("rateLimit", "requests per second per client address (0: off)"),
    OptionKey.integer("rateBurst", "requests a client may send at once"),
    OptionKey.string("apiKeyHeader", "header carrying an API key"),
    OptionKey.lines("apiKeys", String.class, key -> key, key -> "(hidden)", "known API keys (comma-separated); each gets apiKeyRate").secret(),
    OptionKey.integer("apiKeyRate", "requests per second per API key"),
    OptionKey.size("maxBodySize", "largest request body for routes without maxBody= (e.g. 10m)"),
    OptionKey.of("maxHeaderSize", int.class, (s, key, defaultValue) -> (int) Math.min(Integer.MAX_VALUE, s.size(key, defaultValue)),
      size -> Settings.formatSize(size), "largest request head in bytes"),
    OptionKey.integer("maxConnectionsPerClient", "connections one client address may hold open (0: no bound)"),
    OptionKey.duration("bodyTimeout", "cut a request body that stalls this long (408)"),
    OptionKey.list("corsOrigins", "origins allowed from browsers (comma-separated, * for any)"),
    OptionKey.duration("corsMaxAge", "how long browsers cache a preflight"),
    OptionKey.bool("securityHeaders", "add nosniff, frame and referrer headers"));

  public EdgeOptions {
    Require.range("rateLimit", rateLimit, 0, 1_000_000);
    Require.range("rateBurst", rateBurst, 1, 1_000_000);
    if (apiKeyHeader == null || !HEADER_NAME.matcher(apiKeyHeader).matches()) {
      throw new InvalidSettingException("apiKeyHeader", apiKeyHeader, "must be a header name");
    }
    apiKeys = List.copyOf(apiKeys);
    Set<String> distinct = new HashSet<>();
    for (String key : apiKeys) {
      if (key.length() < MIN_API_KEY_LENGTH || key.length() > MAX_API_KEY_LENGTH || key.chars().anyMatch(c -> c <= ' ' || c > '~')) {
        throw new InvalidSettingException("apiKeys", "(hidden)", "each key must be " + MIN_API_KEY_LENGTH + " to "
          + MAX_API_KEY_LENGTH + " printable characters without spaces");
      }
      if (!distinct.add(key)) {
        throw new InvalidSettingException("apiKeys", "(hidden)", "lists the same key twice");
      }
    }
    Require.range("apiKeyRate", apiKeyRate, 1, 1_000_000);
    Require.range("maxBodySize", maxBodySize, 1, Long.MAX_VALUE);
    Require.range("maxHeaderSize", maxHeaderSize, 1024, 1024 * 1024);
    Require.range("maxConnectionsPerClient", maxConnectionsPerClient, 0, 1_000_000);
    Require.positive("bodyTimeout", bodyTimeout);
    corsOrigins = List.copyOf(corsOrigins);
    for (String origin : corsOrigins) {
      if (!ORIGIN.matcher(origin).matches()) {
        throw new InvalidSettingException("corsOrigins", origin, "must be * or scheme://host[:port], such as https://app.example.com");
      }
    }
    Require.notNegative("corsMaxAge", corsMaxAge);
  }

  /** Every option at its default: no rate limit, no CORS, security headers on. */
  public EdgeOptions() {
    this(DEFAULT_RATE_LIMIT, DEFAULT_RATE_BURST, DEFAULT_API_KEY_HEADER, List.of(), DEFAULT_API_KEY_RATE,
      DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_HEADER_SIZE, DEFAULT_MAX_CONNECTIONS_PER_CLIENT, DEFAULT_BODY_TIMEOUT, List.of(), DEFAULT_CORS_MAX_AGE, true);
  }

  /** These settings as the {@code gateway} section holds them, API keys hidden. */
  @Override
  public String toString() {
    return SCHEMA.toJson(this).encode();
  }
}
