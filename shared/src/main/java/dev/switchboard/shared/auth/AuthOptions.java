package dev.switchboard.shared.auth;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.OptionKey;
import dev.switchboard.shared.OptionsSchema;
import dev.switchboard.shared.Require;
import dev.switchboard.shared.Settings;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.List;

/**
 * Which tokens the process believes; the {@code auth} section of the configuration, the same for
 * every service. Empty {@code jwks}: no token can be checked, and a service asked to require one
 * refuses to start.
 *
 * @param jwks        where the signing keys are: a JWKS file's path, or an {@code http(s)://} URL
 * @param issuer      the {@code iss} every token must carry (required with {@code jwks})
 * @param audience    a token's {@code aud} must name at least one of these (required with {@code jwks})
 * @param clockSkew   how far {@code exp}, {@code nbf} and {@code iat} may be off this machine's clock
 * @param jwksRefresh how often the keys are read again (a key rotated at the issuer is taken up
 *                    within this; a token signed by a key not yet seen also triggers a read, at most
 *                    once per {@link #MIN_REFRESH})
 */
public record AuthOptions(String jwks, String issuer, List<String> audience, Duration clockSkew, Duration jwksRefresh) {

  public static final String SECTION = "auth";
  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
  public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);
  public static final Duration DEFAULT_REFRESH = Duration.ofMinutes(5);
  public static final Duration MIN_REFRESH = Duration.ofSeconds(1);
  public static final Duration MAX_REFRESH = Duration.ofDays(1);
  public static final int MAX_AUDIENCES = 32;

  /** The keys of the section, one per component. */
  public static final OptionsSchema<AuthOptions> SCHEMA = OptionsSchema.of(SECTION, AuthOptions.class, AuthOptions::new,
    OptionKey.string("jwks", "JWKS file path or http(s) URL with the token signing keys; empty: tokens are not checked"),
    OptionKey.string("issuer", "the iss claim every token must carry"),
    OptionKey.list("audience", "comma-separated; a token's aud must name one of them"),
    OptionKey.duration("clockSkew", "how far exp, nbf and iat may be off this clock"),
    OptionKey.duration("jwksRefresh", "how often the keys are read again"));

  public AuthOptions {
    jwks = jwks == null ? "" : jwks.trim();
    issuer = issuer == null ? "" : issuer.trim();
    audience = List.copyOf(audience);
    Require.range("audience", audience.size(), 0, MAX_AUDIENCES);
    if (clockSkew == null || clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
      throw new InvalidSettingException("clockSkew", clockSkew == null ? null : Settings.format(clockSkew),
        "must be 0 to " + Settings.format(MAX_CLOCK_SKEW));
    }
    if (jwksRefresh == null || jwksRefresh.compareTo(MIN_REFRESH) < 0 || jwksRefresh.compareTo(MAX_REFRESH) > 0) {
      throw new InvalidSettingException("jwksRefresh", jwksRefresh == null ? null : Settings.format(jwksRefresh),
        "must be " + Settings.format(MIN_REFRESH) + " to " + Settings.format(MAX_REFRESH));
    }
    if (!jwks.isEmpty() && issuer.isEmpty()) {
      throw new InvalidSettingException("issuer", "", "must be set with jwks (a token from any issuer would do otherwise)");
    }
    if (!jwks.isEmpty() && audience.isEmpty()) {
      throw new InvalidSettingException("audience", "", "must be set with jwks (a token meant for another service would do otherwise)");
    }
  }

  /** Tokens off: no keys. */
  public AuthOptions() {
    this("", "", List.of(), DEFAULT_CLOCK_SKEW, DEFAULT_REFRESH);
  }

  public static AuthOptions fromJson(JsonObject json) {
    return SCHEMA.fromJson(json);
  }

  /** Whether tokens can be checked at all. */
  public boolean enabled() {
    return !jwks.isEmpty();
  }

  /** Whether the keys come over HTTP rather than from a file. */
  public boolean jwksIsUrl() {
    return jwks.startsWith("http://") || jwks.startsWith("https://");
  }

  public JsonObject toJson() {
    return SCHEMA.toJson(this);
  }
}
