package dev.switchboard.shared.auth;

/**
 * A token that proves nothing: malformed, badly signed, from another issuer or audience, expired.
 * The message says which, in words fit for the client (RFC 6750's {@code error_description}); it
 * never echoes the token.
 */
public final class TokenRejectedException extends RuntimeException {

  public TokenRejectedException(String reason) {
    super(reason, null, false, false);
  }
}
