package dev.switchboard.files;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.OptionKey;
import dev.switchboard.shared.OptionsSchema;
import dev.switchboard.shared.Require;
import dev.switchboard.shared.ServiceOptions;
import dev.switchboard.shared.Settings;
import dev.switchboard.shared.auth.Identity;
import io.vertx.core.json.JsonObject;

import java.time.Duration;

/**
 * Options of the files service; the {@code files} section of the configuration.
 *
 * @param host                  interface to listen on
 * @param port                  HTTP port; 0 picks a free one
 * @param root                  directory served; relative paths are against the working directory; created if missing
 * @param maxUploadSize         largest {@code PUT} body in bytes; more gets 413
 * @param maxTransfersPerClient downloads and uploads one client address may have in flight at once; more gets 429
 * @param idleTimeout           a connection with nothing read or written for this long is closed (stalled clients)
 * @param token                 a static bearer token that may write ({@code PUT}, {@code DELETE}); empty: none
 * @param pageSize              most entries in one page of a directory listing
 * @param writeScope            the scope a JSON Web Token (checked with the process's {@code auth} keys)
 *                              needs to write; writes are open to such tokens whenever {@code auth.jwks} is set
 */
public record FilesOptions(
  String host,
  int port,
  String root,
  long maxUploadSize,
  int maxTransfersPerClient,
  Duration idleTimeout,
  String token,
  int pageSize,
  String writeScope) implements ServiceOptions {

  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 3001;
  public static final String DEFAULT_ROOT = "files";
  public static final long DEFAULT_MAX_UPLOAD_SIZE = 4L << 30;
  public static final int DEFAULT_MAX_TRANSFERS_PER_CLIENT = 16;
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
  public static final String DEFAULT_TOKEN = "";
  public static final int DEFAULT_PAGE_SIZE = 100;
  /** Largest page a client may ask for; bounds the work and the size of one listing. */
  public static final int MAX_PAGE_SIZE = 10_000;
  /** A shorter token is too easy to guess to guard writes. */
  public static final int MIN_TOKEN_LENGTH = 16;
  public static final String DEFAULT_WRITE_SCOPE = "files:write";

  /** The keys of the {@code files} section, one per component; the token is written as {@code (set)}. */
  public static final OptionsSchema<FilesOptions> SCHEMA = OptionsSchema.of("files", FilesOptions.class, FilesOptions::new,
    OptionKey.string("host", "interface to listen on"),
    OptionKey.integer("port", "HTTP port"),
    OptionKey.string("root", "directory served (created if missing)"),
    OptionKey.longValue("maxUploadSize", "largest PUT body in bytes (413 beyond)"),
    OptionKey.integer("maxTransfersPerClient", "transfers in flight per client address (429 beyond)"),
    OptionKey.duration("idleTimeout", "close a connection idle this long (stalled clients)"),
    OptionKey.of("token", String.class, Settings::string, token -> token.isEmpty() ? "" : "(set)",
      "static bearer token for PUT and DELETE (besides tokens with writeScope); empty: none").secret(),
    OptionKey.integer("pageSize", "entries per page of a directory listing"),
    OptionKey.string("writeScope", "scope a JSON Web Token needs for PUT and DELETE (with auth.jwks set)"));

  public FilesOptions {
    Require.nonBlank("host", host);
    Require.port("port", port);
    Require.nonBlank("root", root);
    if (root.indexOf('\0') >= 0) {
      throw new InvalidSettingException("root", root, "must be a directory path");
    }
    Require.range("maxUploadSize", maxUploadSize, 1, Long.MAX_VALUE);
    Require.range("maxTransfersPerClient", maxTransfersPerClient, 1, 100_000);
    Require.positive("idleTimeout", idleTimeout);
    token = token == null ? "" : token;
    if (!token.isEmpty() && (token.length() < MIN_TOKEN_LENGTH || !token.chars().allMatch(FilesOptions::tokenChar))) {
      throw new InvalidSettingException("token", "(hidden)", "must be empty or at least " + MIN_TOKEN_LENGTH
        + " characters of A-Z a-z 0-9 - . _ ~ + /");
    }
    Require.range("pageSize", pageSize, 1, MAX_PAGE_SIZE);
    if (!Identity.isScope(writeScope)) {
      throw new InvalidSettingException("writeScope", writeScope, "must be one scope: printable ASCII, no space, quote or backslash");
    }
  }

  /** Every option at its default. */
  public FilesOptions() {
    this(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_ROOT, DEFAULT_MAX_UPLOAD_SIZE, DEFAULT_MAX_TRANSFERS_PER_CLIENT,
      DEFAULT_IDLE_TIMEOUT, DEFAULT_TOKEN, DEFAULT_PAGE_SIZE, DEFAULT_WRITE_SCOPE);
  }

  public static FilesOptions fromJson(JsonObject json) {
    return SCHEMA.fromJson(json);
  }

  /** Whether a static token is configured. */
  public boolean hasToken() {
    return !token.isEmpty();
  }

  /** The settings, with the token masked: this is what {@code --help} and logs may show. */
  @Override
  public JsonObject toJson() {
    return SCHEMA.toJson(this);
  }

  @Override
  public String toString() {
    return "FilesOptions" + toJson().encode();
  }

  // RFC 6750 b64token characters, without '=' padding subtleties.
  private static boolean tokenChar(int c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
      || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
  }
}
