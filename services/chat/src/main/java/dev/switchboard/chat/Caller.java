package dev.switchboard.chat;

import dev.switchboard.shared.auth.Identity;
import dev.switchboard.shared.auth.TokenRejectedException;

import java.util.List;
import java.util.TreeSet;

/**
 * Who a connection is, as its token proves: the nickname it speaks under (the {@code nicknameClaim}
 * of the token) and the token's identity, whose scopes open rooms and whose expiry ends the connection.
 */
record Caller(String nickname, Identity identity) {

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
    return new Caller(nickname, identity);
  }

  /** Whether the token opens {@code room}, given the scope the room needs (null: none). */
  boolean mayJoin(String scope) {
    return scope == null || identity.hasScope(scope) || identity.hasScope(ChatOptions.ALL_ROOMS_SCOPE);
  }

  /** When the connection must end: the token's {@code exp}, plus the skew the verifier allows for clocks apart. */
  long endsAtMillis(long clockSkewMillis) {
    return identity.expires().toEpochMilli() + clockSkewMillis;
  }

  List<String> scopes() {
    return List.copyOf(new TreeSet<>(identity.scopes()));
  }

  @Override
  public String toString() {
    return "Caller[" + nickname + "]"; // never the claims
  }
}
