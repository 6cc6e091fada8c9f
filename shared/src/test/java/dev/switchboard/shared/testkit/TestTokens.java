package dev.switchboard.shared.testkit;

import dev.switchboard.shared.auth.AuthOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * An identity provider for tests: an RSA key pair made for the test, its public half as a JWKS
 * file, and RS256 tokens signed by hand (so a test can also make the bad ones: expired, another
 * issuer, a forged signature).
 */
public final class TestTokens {

  public static final String ISSUER = "switchboard-test-issuer";
  public static final String AUDIENCE = "switchboard";
  public static final Duration LIFETIME = Duration.ofMinutes(5);

  private final String kid;
  private final KeyPair keys;

  private TestTokens(String kid, KeyPair keys) {
    this.kid = kid;
    this.keys = keys;
  }

  /** A new key pair under key id {@code kid}. */
  public static TestTokens create(String kid) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return new TestTokens(kid, generator.generateKeyPair());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The public key as a JWKS. */
  public JsonObject jwks() {
    RSAPublicKey key = (RSAPublicKey) keys.getPublic();
    return new JsonObject().put("keys", new JsonArray().add(new JsonObject()
      .put("kty", "RSA").put("kid", kid).put("use", "sig").put("alg", "RS256")
      .put("n", base64Url(unsigned(key.getModulus()))).put("e", base64Url(unsigned(key.getPublicExponent())))));
  }

  /** Writes {@link #jwks()} to {@code file} and returns its path. */
  public Path writeJwks(Path file) {
    try {
      return Files.writeString(file, jwks().encodePrettily());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Settings that believe these keys from {@code jwksFile}, with this class's issuer and audience. */
  public static AuthOptions options(Path jwksFile) {
    return new AuthOptions(jwksFile.toString(), ISSUER, List.of(AUDIENCE), AuthOptions.DEFAULT_CLOCK_SKEW, AuthOptions.DEFAULT_REFRESH);
  }

  /** The same, as the {@code auth} section's JSON. */
  public static JsonObject settings(Path jwksFile) {
    return options(jwksFile).toJson();
  }

  /** Good claims for {@code subject} with {@code scopes}, expiring in {@link #LIFETIME}. */
  public static JsonObject claims(String subject, String... scopes) {
    long now = Instant.now().getEpochSecond();
    JsonObject claims = new JsonObject().put("iss", ISSUER).put("aud", AUDIENCE).put("sub", subject)
      .put("iat", now).put("exp", now + LIFETIME.toSeconds());
    if (scopes.length > 0) {
      claims.put("scope", String.join(" ", scopes));
    }
    return claims;
  }

  /** A good token for {@code subject} with {@code scopes}. */
  public String token(String subject, String... scopes) {
    return sign(claims(subject, scopes));
  }

  /** {@code claims} signed with RS256 under this key id. */
  public String sign(JsonObject claims) {
    String header = base64Url(new JsonObject().put("alg", "RS256").put("typ", "JWT").put("kid", kid).encode().getBytes(StandardCharsets.UTF_8));
    String payload = base64Url(claims.encode().getBytes(StandardCharsets.UTF_8));
    try {
      Signature rsa = Signature.getInstance("SHA256withRSA");
      rsa.initSign(keys.getPrivate());
      rsa.update((header + "." + payload).getBytes(StandardCharsets.US_ASCII));
      return header + "." + payload + "." + base64Url(rsa.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code claims} unsigned, {@code alg: none}: what an attacker would try first. */
  public static String unsigned(JsonObject claims) {
    return base64Url("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
      + base64Url(claims.encode().getBytes(StandardCharsets.UTF_8)) + ".";
  }

  private static byte[] unsigned(BigInteger value) {
    byte[] bytes = value.toByteArray();
    return bytes[0] == 0 ? Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
  }

  private static String base64Url(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }
}
