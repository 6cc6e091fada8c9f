package dev.switchboard.files;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile paths, sent as raw request lines (an HTTP client would normalise them first), never
 * read outside the root: each gets 400 or 404, and the secret planted beside the root (and in a
 * hidden file inside it) never appears in any answer.
 */
class PathSafetyTest extends FilesTestBase {

  /** Request targets, each on its own request line. {@code SECRET_ABS} is replaced by the secret's absolute path. */
  static final List<String> CORPUS = List.of(
    "/files/../secret.txt",
    "/files/../../../../../../../../etc/passwd",
    "/files/..%2fsecret.txt",
    "/files/..%2Fsecret.txt",
    "/files/%2e%2e/secret.txt",
    "/files/%2E%2E/secret.txt",
    "/files/.%2e/secret.txt",
    "/files/%2e./secret.txt",
    "/files/%2e%2e%2fsecret.txt",
    "/files/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/files/%252e%252e/secret.txt",
    "/files/%252e%252e%252fsecret.txt",
    "/files/..%252fsecret.txt",
    "/files/..\\secret.txt",
    "/files/sub\\..\\..\\secret.txt",
    "/files/..%5csecret.txt",
    "/files/..%5Csecret.txt",
    "/files/..%255csecret.txt",
    "/files/sub/../../secret.txt",
    "/files/sub/%2e%2e/%2e%2e/secret.txt",
    "/files/sub/..%2f..%2fsecret.txt",
    "/files/./../secret.txt",
    "/files/secret.txt/..",
    "/files//etc/passwd",
    "/files/%2fetc%2fpasswd",
    "/files/%2F..%2Fsecret.txt",
    "/files/SECRET_ABS",
    "/files/%2FSECRET_ABS",
    "/files/inside.txt%00.txt",
    "/files/..%00/secret.txt",
    "/files/%00",
    "/files/..%09/secret.txt",
    "/files/%c0%ae%c0%ae/secret.txt",
    "/files/%e0%80%ae%e0%80%ae/secret.txt",
    "/files/..%c0%afsecret.txt",
    "/files/%uff0e%uff0e/secret.txt",
    "/files/%2",
    "/files/%zz",
    "/files/.../secret.txt",
    "/files/..;/secret.txt",
    "/files/%ef%bc%8e%ef%bc%8e/secret.txt",
    "/files/link-secret",
    "/files/%6c%69%6e%6b-secret",
    "/files/link-out/secret.txt",
    "/files/link-out/",
    "/files/sub/link-up/secret.txt",
    "/files/.upload-planted.tmp",
    "/files/%2eupload-planted.tmp",
    "/files/link-hidden",
    "/files/dangling",
    "/files/dangling/",
    "/files/sub/../.upload-planted.tmp",
    "http://127.0.0.1/files/../secret.txt",
    "../secret.txt",
    "/files/../files/../secret.txt");

  @BeforeEach
  void plant() throws IOException {
    Files.writeString(root.resolve("inside.txt"), "inside");
    Files.createDirectory(root.resolve("sub"));
    Files.createSymbolicLink(root.resolve("link-secret"), secretFile);
    Files.createSymbolicLink(root.resolve("link-out"), temp);
    Files.createSymbolicLink(root.resolve("sub").resolve("link-up"), temp);
    Files.createSymbolicLink(root.resolve("link-inside"), root.resolve("inside.txt"));
    Files.writeString(root.resolve(".upload-planted.tmp"), secret);
    Files.createSymbolicLink(root.resolve("link-hidden"), root.resolve(".upload-planted.tmp"));
    Files.createSymbolicLink(root.resolve("dangling"), temp.resolve("nowhere"));
    deploy();
  }

  @Test
  void refusesEveryHostilePathWithoutLeakingTheSecret() throws IOException {
    assertTrue(CORPUS.size() >= 30, "corpus size " + CORPUS.size());
    List<String> failures = new ArrayList<>();
    for (String target : CORPUS) {
      String request = target.replace("SECRET_ABS", secretFile.toAbsolutePath().toString().substring(1));
      String answer = rawGet(request);
      int status = status(answer);
      if (!Set.of(400, 404).contains(status) || answer.contains(secret) || answer.contains("root:x:0:0")) {
        failures.add(status + " for " + request + ": " + answer);
      }
      assertFalse(answer.contains("Exception"), answer);
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void refusesHostilePathsForWritesToo() throws IOException {
    for (String target : List.of("/files/../escaped.txt", "/files/%2e%2e/escaped.txt", "/files/link-out/escaped.txt",
      "/files/..%5cescaped.txt", "/files/.upload-x.tmp", "/files/dangling/escaped.txt", "/files/link-out/new/escaped.txt")) {
      String answer = raw("PUT " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
        + "\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
      assertTrue(Set.of(400, 404).contains(status(answer)), target + ": " + answer);
      assertFalse(Files.exists(temp.resolve("escaped.txt")), target);
      assertFalse(Files.exists(temp.resolve("nowhere")), target);
      assertFalse(Files.exists(temp.resolve("new")), target);
    }
    String answer = raw("DELETE /files/link-out/secret.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
      + "\r\nConnection: close\r\n\r\n");
    assertEquals(404, status(answer), answer);
    assertTrue(Files.exists(secretFile));
  }

  @Test
  void servesOrdinaryPathsAndLinksThatStayInside() throws IOException {
    String plain = rawGet("/files/inside.txt");
    assertEquals(200, status(plain), plain);
    assertTrue(plain.endsWith("\r\n\r\ninside"), plain);
    String linked = rawGet("/files/link-inside");
    assertEquals(200, status(linked), linked);
    assertTrue(linked.endsWith("\r\n\r\ninside"), linked);
    String encoded = rawGet("/files/%69nside.txt");
    assertEquals(200, status(encoded), encoded);
  }

  @Test
  void listingsShowNeitherHiddenFilesNorLinksLeavingTheRoot() {
    var entries = get("/files/").json().getJsonArray("entries");
    List<String> names = new ArrayList<>();
    entries.forEach(e -> names.add(((io.vertx.core.json.JsonObject) e).getString("name")));
    assertEquals(List.of("inside.txt", "link-inside", "sub"), names);
  }
}
