package dev.switchboard.shared.auth;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a verified token says of its bearer.
 *
 * @param subject the {@code sub} claim
 * @param scopes  the {@code scope} claim (space-separated, as OAuth 2.0 writes it) or {@code scp} (an array)
 * @param expires the {@code exp} claim
 * @param claims  every claim, for a service that names its own (a nickname claim, say)
 */
public record Identity(String subject, Set<String> scopes, Instant expires, JsonObject claims) {

  /** OAuth 2.0's scope token (RFC 6749, 3.3): printable ASCII without space, quote or backslash; bounded here. */
  private static final Pattern SCOPE = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}");

  /** Whether {@code name} can be a scope: what settings that name one are checked against. */
  public static boolean isScope(String name) {
    return name != null && SCOPE.matcher(name).matches();
  }

  public Identity {
    scopes = Set.copyOf(scopes);
    claims = claims.copy();
  }

  public boolean hasScope(String scope) {
    return scopes.contains(scope);
  }

  /** The scopes as one space-separated string, in a stable order. */
  public String scopeList() {
    return String.join(" ", new java.util.TreeSet<>(scopes));
  }
}
