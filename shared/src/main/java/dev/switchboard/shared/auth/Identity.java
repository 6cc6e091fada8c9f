package dev.switchboard.shared.auth;

import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.Set;

/**
 * What a verified token says of its bearer.
 *
 * @param subject the {@code sub} claim
 * @param scopes  the {@code scope} claim (space-separated, as OAuth 2.0 writes it) or {@code scp} (an array)
 * @param expires the {@code exp} claim
 * @param claims  every claim, for a service that names its own (a nickname claim, say)
 */
public record Identity(String subject, Set<String> scopes, Instant expires, JsonObject claims) {

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
