package dev.switchboard.gateway.config;

import dev.switchboard.shared.auth.Identity;

import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who may use a route, written among its words: {@code auth=token} (any good token) or
 * {@code scopes=chat,files:write} (a good token with every one of these scopes). Without either,
 * anyone may.
 *
 * @param token  whether a good bearer token is required
 * @param scopes the scopes the token must all carry
 */
public record Access(boolean token, Set<String> scopes) {

  /** Anyone, no token asked. */
  public static final Access OPEN = new Access(false, Set.of());
  public static final int MAX_SCOPES = 16;

  public Access {
    scopes = Collections.unmodifiableSortedSet(new TreeSet<>(scopes));
    if (!token && !scopes.isEmpty()) {
      throw new IllegalArgumentException("scopes need a token");
    }
  }

  /** Reads {@code auth=VALUE}; only {@code token} is known. */
  static Access auth(Access current, String value) {
    if (!value.equals("token")) {
      throw new IllegalArgumentException("auth '" + value + "' is not auth=token");
    }
    return new Access(true, current.scopes);
  }

  /** Reads {@code scopes=a,b}: a token with each of them. */
  static Access scopes(Access current, String value) {
    Set<String> scopes = new TreeSet<>(current.scopes);
    for (String scope : value.split(",")) {
      if (!Identity.isScope(scope)) {
        throw new IllegalArgumentException("scope '" + scope + "' is not a scope (printable ASCII, no space, quote or backslash)");
      }
      scopes.add(scope);
    }
    if (scopes.size() > MAX_SCOPES) {
      throw new IllegalArgumentException("at most " + MAX_SCOPES + " scopes per route");
    }
    return new Access(true, scopes);
  }

  /** The words this access is written as, with a leading space; empty when open. */
  String format() {
    if (!token) {
      return "";
    }
    return scopes.isEmpty() ? " auth=token" : " scopes=" + String.join(",", scopes);
  }

  /** The scopes in {@code required} that {@code held} lacks, in order. */
  public static Set<String> missing(Set<String> required, Set<String> held) {
    Set<String> missing = new TreeSet<>(required);
    missing.removeAll(held);
    return missing;
  }
}
