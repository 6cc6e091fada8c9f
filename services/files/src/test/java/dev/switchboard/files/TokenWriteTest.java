package dev.switchboard.files;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.testkit.TestKit;
import dev.switchboard.shared.testkit.TestTokens;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Writes with a JSON Web Token: with the process's {@code auth} keys, a token carrying the write
 * scope may upload and delete as the static token may; a bad one is 401 with its reason, one
 * without the scope 403 — and nothing is written for either.
 */
class TokenWriteTest extends FilesTestBase {

  private final TestTokens tokens = TestTokens.create("files");

  private void deployWithTokens(JsonObject settings) {
    JsonObject json = new JsonObject().put("root", root.toString()).mergeIn(settings);
    port = TestKit.awaitUnchecked(TestKit.deploy(vertx, FilesVerticle.DEFINITION, json, 1, new IngressOptions(),
      TestTokens.options(tokens.writeJwks(temp.resolve("jwks.json")))), TIMEOUT).port("http");
  }

  @Test
  void aTokenWithTheWriteScopeUploadsAndDeletes() throws Exception {
    deployWithTokens(new JsonObject());
    String writer = "Bearer " + tokens.token("ada", "files:write");
    Response created = send(HttpMethod.PUT, "/files/notes.txt", Buffer.buffer("hello"), "Authorization", writer);
    assertEquals(201, created.status(), created.toString());
    assertEquals("hello", Files.readString(root.resolve("notes.txt")));
    Response deleted = send(HttpMethod.DELETE, "/files/notes.txt", null, "Authorization", writer);
    assertEquals(204, deleted.status(), deleted.toString());
    assertFalse(Files.exists(root.resolve("notes.txt")));
  }

  @Test
  void badTokensAndTokensWithoutTheScopeWriteNothing() throws Exception {
    deployWithTokens(new JsonObject().put("writeScope", "uploads"));
    Files.writeString(root.resolve("keep.txt"), "kept");
    long now = Instant.now().getEpochSecond();
    String[][] bad = {
      {"Bearer " + TestTokens.create("files").token("ada", "uploads"), "401", "bad signature"},
      {"Bearer " + tokens.sign(TestTokens.claims("ada", "uploads").put("exp", now - 120)), "401", "token expired"},
      {"Bearer " + tokens.sign(TestTokens.claims("ada", "uploads").put("iss", "elsewhere")), "401", "wrong issuer"},
      {"Bearer " + tokens.token("ada", "files:write"), "403", null},
      {"Bearer not-a-token-at-all-but-long", "401", "malformed token"},
    };
    for (String[] attempt : bad) {
      Response upload = send(HttpMethod.PUT, "/files/new.txt", Buffer.buffer("x"), "Authorization", attempt[0]);
      assertEquals(Integer.parseInt(attempt[1]), upload.status(), attempt[0] + " -> " + upload);
      String challenge = upload.header("WWW-Authenticate");
      if (attempt[2] != null) {
        assertEquals(attempt[2], upload.json().getString("reason"), upload.toString());
        assertTrue(challenge.contains("error=\"invalid_token\""), challenge);
      } else {
        assertEquals("uploads", upload.json().getString("scope"), upload.toString());
        assertTrue(challenge.contains("error=\"insufficient_scope\""), challenge);
      }
      Response delete = send(HttpMethod.DELETE, "/files/keep.txt", null, "Authorization", attempt[0]);
      assertEquals(Integer.parseInt(attempt[1]), delete.status(), attempt[0] + " -> " + delete);
    }
    assertFalse(Files.exists(root.resolve("new.txt")), "no refused upload wrote anything");
    assertEquals("kept", Files.readString(root.resolve("keep.txt")), "no refused delete removed anything");
    assertEquals(201, send(HttpMethod.PUT, "/files/new.txt", Buffer.buffer("x"), "Authorization",
      "Bearer " + tokens.token("ada", "uploads")).status(), "the configured scope writes");
  }

  @Test
  void theStaticTokenStillWritesBesideTokens() throws Exception {
    deployWithTokens(new JsonObject().put("token", TOKEN));
    assertEquals(201, put("/files/static.txt", Buffer.buffer("s")).status());
    assertEquals(201, send(HttpMethod.PUT, "/files/jwt.txt", Buffer.buffer("j"), "Authorization",
      "Bearer " + tokens.token("ada", "files:write")).status());
  }
}
