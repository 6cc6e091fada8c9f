/**
 * Who the caller is: the {@code auth} section of the configuration ({@link AuthOptions}), a
 * {@link TokenVerifier} that checks JSON Web Tokens against keys from a JWKS file or URL, kept
 * fresh, and the {@link Identity} a good token proves. One verifier per process; the gateway checks
 * tokens at the door, and the services that act on identity check them again.
 */
package dev.switchboard.shared.auth;
