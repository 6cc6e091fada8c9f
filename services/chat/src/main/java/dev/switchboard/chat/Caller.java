package dev.switchboard.chat;

import dev.switchboard.shared.auth.Identity;
import dev.switchboard.shared.auth.TokenRejectedException;

import java.time.Instant;
import java.util.List;
import java.util.TreeSet;

/**
 * Who a connection is, as its token proves: the nickname it speaks under (the {@code nicknameClaim}
 * of the token), the scopes that open rooms, and when the token expires. Only these are kept, not
 * the token's other claims: a connection holds one for as long as it is open.
 *
 * @param nickname the token's nickname claim
 * @param scopes   the token's scopes, sorted
 * @param expires  the token's {@code exp}
 */
record Caller(String nickname, List<String> scopes, Instant expires) {

  Caller {
    scopes = List.copyOf(scopes);
  }

  /**
   * The caller a verified token names; a token whose {@code claim} is missing or is not a valid
   * nickname is refused as if it were bad: the chat cannot tell who it is.
   */
  static Caller of(Identity identity, String claim) {
    Object value = identity.claims().getValue(claim);
    if (!(value instanceof String nickname) || !ChatProtocol.NICKNAME.matcher(nickname).matches()) {
      throw new TokenRejectedException("the token's " + claim + " claim is "
        + (value == null ? "missing" : "not a nickname (1-32 letters, digits, spaces, _ . -)"));
    }
    return new Caller(nickname, List.copyOf(new TreeSet<>(identity.scopes())), identity.expires());
  }

  /** Whether the token opens a room that needs {@code scope} (null: none). */
  boolean mayJoin(String scope) {
    return scope == null || scopes.contains(scope) || scopes.contains(ChatOptions.ALL_ROOMS_SCOPE);
  }

  /** When the connection must end: the token's {@code exp}, plus the skew the verifier allows for clocks apart. */
  long endsAtMillis(long clockSkewMillis) {
    return expires.toEpochMilli() + clockSkewMillis;
  }
}
