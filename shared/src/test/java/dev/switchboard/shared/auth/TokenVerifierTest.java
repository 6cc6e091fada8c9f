package dev.switchboard.shared.auth;

import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.TestTokens;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenVerifierTest {

  @TempDir
  Path dir;

  /** How long a verification, a start or a close may take. */
  private static final Duration WAIT = Duration.ofSeconds(10);

  private Vertx vertx;
  private final TestTokens tokens = TestTokens.create("k1");

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() throws Exception {
    TestKit.await(vertx.close(), WAIT);
  }

  @Test
  void aGoodTokenProvesItsSubjectScopesAndExpiry() throws Exception {
    TokenVerifier verifier = verifier(TestTokens.options(tokens.writeJwks(dir.resolve("jwks.json"))));
    Identity identity = TestKit.await(verifier.verify(tokens.token("ada", "chat", "files:write")), WAIT);
    assertEquals("ada", identity.subject());
    assertEquals(Set.of("chat", "files:write"), identity.scopes());
    assertEquals("chat files:write", identity.scopeList());
    assertTrue(identity.expires().isAfter(Instant.now()));
    Identity scp = TestKit.await(verifier.verify(tokens.sign(TestTokens.claims("bo").put("scp", new io.vertx.core.json.JsonArray().add("a").add("b")))), WAIT);
    assertEquals(Set.of("a", "b"), scp.scopes());
  }

  @Test
  void everyBadTokenIsRejectedWithItsReason() throws Exception {
    TokenVerifier verifier = verifier(TestTokens.options(tokens.writeJwks(dir.resolve("jwks.json"))));
    long now = Instant.now().getEpochSecond();
    TestTokens stranger = TestTokens.create("k1");
    assertRejected(verifier, null, "no token");
    assertRejected(verifier, "x".repeat(TokenVerifier.MAX_TOKEN_LENGTH + 1), "token too long");
    assertRejected(verifier, "not.a.jwt", "malformed token");
    assertRejected(verifier, "garbage", "malformed token");
    assertRejected(verifier, stranger.token("ada"), "bad signature");
    assertRejected(verifier, TestTokens.create("k9").token("ada"), "signed by an unknown key");
    assertRejected(verifier, TestTokens.unsigned(TestTokens.claims("ada")), "malformed token");
    assertRejected(verifier, tokens.sign(TestTokens.claims("ada").put("iss", "elsewhere")), "wrong issuer");
    assertRejected(verifier, tokens.sign(TestTokens.claims("ada").put("aud", "another-app")), "wrong audience");
    assertRejected(verifier, tokens.sign(TestTokens.claims("ada").put("aud", 7)), "wrong audience");
    assertRejected(verifier, tokens.sign(TestTokens.claims("ada").put("exp", now - 31)), "token expired");
    assertRejected(verifier, tokens.sign(withoutKey(TestTokens.claims("ada"), "exp")), "no expiry");
    assertRejected(verifier, tokens.sign(TestTokens.claims("ada").put("exp", 1e30)), "expiry out of range");
    assertRejected(verifier, tokens.sign(withoutKey(TestTokens.claims("ada"), "sub")), "no subject");
    assertRejected(verifier, tokens.sign(TestTokens.claims("ada").put("nbf", now + 120)), "token not valid yet");
    assertRejected(verifier, tokens.sign(TestTokens.claims("ada").put("iat", now + 120)), "token issued in the future");
    assertRejected(verifier, tokens.sign(TestTokens.claims("ada").put("scope", 42)), "scope must be a space-separated string or an array of strings");
    // Within the clock skew (30 s by default) an expiry just past still counts.
    assertEquals("ada", TestKit.await(verifier.verify(tokens.sign(TestTokens.claims("ada").put("exp", now - 5))), WAIT).subject());
  }

  @Test
  void aKeyRotatedInAtTheUrlIsFetchedWhenATokenNamesIt() throws Exception {
    TestTokens next = TestTokens.create("k2");
    AtomicReference<JsonObject> served = new AtomicReference<>(tokens.jwks());
    HttpServer server = TestKit.await(vertx.createHttpServer()
      .requestHandler(request -> request.response().putHeader("content-type", "application/json").end(served.get().encode()))
      .listen(0, "127.0.0.1"), WAIT);
    AuthOptions options = new AuthOptions("http://127.0.0.1:" + server.actualPort() + "/jwks", TestTokens.ISSUER,
      List.of(TestTokens.AUDIENCE), AuthOptions.DEFAULT_CLOCK_SKEW, Duration.ofHours(1));
    TokenVerifier verifier = verifier(options);
    assertEquals("ada", TestKit.await(verifier.verify(tokens.token("ada")), WAIT).subject());
    assertRejected(verifier, next.token("bo"), "signed by an unknown key");
    served.set(next.jwks());
    // The early read happens at most once per second: this token's unknown key fetches the new set.
    // Until then each answer is the refusal of an unknown key.
    String answer = TestKit.await(TestKit.poll(vertx, () -> verifier.verify(next.token("bo")).map(Identity::subject)
        .otherwise(e -> e instanceof TokenRejectedException && "signed by an unknown key".equals(e.getMessage()) ? "unknown key" : e.toString()),
      subject -> !subject.equals("unknown key"), Duration.ofMillis(200), WAIT));
    assertEquals("bo", answer);
  }

  @Test
  void startingWithoutKeysFails() {
    Path missing = dir.resolve("missing.json");
    assertThrows(Exception.class, () -> TestKit.await(TokenVerifier.start(vertx, TestTokens.options(missing)), WAIT));
    assertThrows(Exception.class, () -> TestKit.await(TokenVerifier.start(vertx, new AuthOptions()), WAIT));
  }

  private TokenVerifier verifier(AuthOptions options) throws Exception {
    return TestKit.await(TokenVerifier.start(vertx, options), WAIT);
  }

  private static JsonObject withoutKey(JsonObject json, String key) {
    json.remove(key);
    return json;
  }

  private static void assertRejected(TokenVerifier verifier, String token, String reason) {
    ExecutionException failed = assertThrows(ExecutionException.class, () -> TestKit.await(verifier.verify(token), WAIT), reason);
    assertEquals(reason, assertInstanceOf(TokenRejectedException.class, failed.getCause(), reason).getMessage());
  }
}
