package dev.switchboard.files;

import dev.switchboard.shared.bus.Addresses;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PUT and DELETE: atomic verified uploads, limits, preconditions, tokens, bus announcements. */
class UploadTest extends FilesTestBase {

  @Test
  void createsThenReplacesAFileAndServesIt() throws IOException {
    deploy();
    Response created = put("/files/new/dir/hello.txt", Buffer.buffer("hello"));
    assertEquals(201, created.status());
    assertEquals("new/dir/hello.txt", created.json().getString("path"));
    assertEquals(5, created.json().getLong("size"));
    assertEquals("/files/new/dir/hello.txt", created.header("location"));
    assertEquals("hello", Files.readString(root.resolve("new/dir/hello.txt")));
    Response replaced = put("/files/new/dir/hello.txt", Buffer.buffer("bye"));
    assertEquals(200, replaced.status());
    Response read = get("/files/new/dir/hello.txt");
    assertEquals("bye", read.text());
    assertEquals(replaced.header("etag"), read.header("etag"));
    assertEquals(List.of("new/dir/hello.txt"), leftovers());
  }

  @Test
  void acceptsAMatchingDigestInEitherHeader() {
    deploy();
    byte[] body = "digest me".getBytes(StandardCharsets.UTF_8);
    String b64 = Base64.getEncoder().encodeToString(sha256(body));
    assertEquals(201, put("/files/a.txt", Buffer.buffer(body), "Content-Digest", "sha-512=:AAAA:, sha-256=:" + b64 + ":").status());
    assertEquals(201, put("/files/b.txt", Buffer.buffer(body), "Digest", "SHA-256=" + b64).status());
  }

  @Test
  void refusesAWrongOrMalformedDigestAndKeepsNothing() throws IOException {
    deploy();
    Files.writeString(root.resolve("keep.txt"), "old");
    String wrong = Base64.getEncoder().encodeToString(sha256("other".getBytes(StandardCharsets.UTF_8)));
    Response mismatch = put("/files/keep.txt", Buffer.buffer("new"), "Content-Digest", "sha-256=:" + wrong + ":");
    assertEquals(400, mismatch.status());
    assertEquals("sha-256 digest mismatch", mismatch.json().getString("error"));
    Response malformed = put("/files/keep.txt", Buffer.buffer("new"), "Content-Digest", "sha-256=not-a-digest");
    assertEquals(400, malformed.status());
    assertEquals("old", Files.readString(root.resolve("keep.txt")));
    assertEquals(List.of("keep.txt"), leftovers());
  }

  @Test
  void refusesADeclaredLengthOverTheLimitBeforeReading() throws IOException {
    deploy(new JsonObject().put("maxUploadSize", 1000));
    String answer = raw("PUT /files/big.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
      + "\r\nContent-Length: 1001\r\n\r\n");
    assertEquals(413, status(answer), answer);
    assertTrue(answer.endsWith("{\"error\":\"upload too large\",\"limit\":1000}"), answer);
    assertEquals(List.of(), leftovers());
  }

  @Test
  void enforcesTheLimitWhileStreamingABodyWithoutLength() throws Exception {
    deploy(new JsonObject().put("maxUploadSize", 1000));
    String chunk = "a".repeat(600);
    String hex = Integer.toHexString(chunk.length());
    String answer = raw("PUT /files/big.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
      + "\r\nTransfer-Encoding: chunked\r\n\r\n" + hex + "\r\n" + chunk + "\r\n" + hex + "\r\n" + chunk + "\r\n0\r\n\r\n");
    assertEquals(413, status(answer), answer);
    assertNoLeftoversSoon();
    assertEquals(201, put("/files/fits.bin", Buffer.buffer("a".repeat(1000))).status());
  }

  @Test
  void leavesNothingWhenTheClientDisconnectsMidUpload() throws Exception {
    deploy();
    Files.writeString(root.resolve("target.bin"), "previous");
    try (Socket socket = new Socket("127.0.0.1", port)) {
      OutputStream out = socket.getOutputStream();
      out.write(("PUT /files/target.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
        + "\r\nContent-Length: 1000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(new byte[500_000]);
      out.flush();
      TestKit.awaitPoll(this::leftovers, files -> files.size() == 2, POLL, TIMEOUT, "the temporary file appears");
    }
    assertNoLeftoversSoon("target.bin");
    assertEquals("previous", Files.readString(root.resolve("target.bin")));
  }

  @Test
  void endsConcurrentUploadsToOnePathWithOneWholeFile() throws IOException {
    deploy();
    int size = 2 * 1024 * 1024;
    List<Future<Response>> uploads = new CopyOnWriteArrayList<>();
    for (byte b = 'a'; b <= 'd'; b++) {
      byte[] body = new byte[size];
      Arrays.fill(body, b);
      HttpClient client = client();
      uploads.add(client.request(new RequestOptions().setMethod(HttpMethod.PUT).setURI("/files/same.bin")
          .putHeader("Authorization", "Bearer " + TOKEN))
        .compose(request -> request.send(Buffer.buffer(body)))
        .compose(Response::read));
    }
    for (Future<Response> upload : uploads) {
      int status = TestKit.awaitUnchecked(upload, TIMEOUT).status();
      assertTrue(status == 200 || status == 201, "status " + status);
    }
    byte[] result = Files.readAllBytes(root.resolve("same.bin"));
    assertEquals(size, result.length);
    byte[] expected = new byte[size];
    Arrays.fill(expected, result[0]);
    assertArrayEquals(expected, result);
    assertEquals(List.of("same.bin"), leftovers());
  }

  @Test
  void ignoresAnH2cUpgradeSoUploadsKeepTheirBackpressure() throws IOException {
    deploy(new JsonObject().put("idleTimeout", "300ms")); // closes the kept-alive connection raw() reads to the end
    String answer = raw("PUT /files/up.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
      + "\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n"
      + "Content-Length: 2\r\n\r\nok");
    assertEquals(201, status(answer), answer);
    assertEquals("ok", Files.readString(root.resolve("up.txt")));
  }

  @Test
  void needsTheBearerToken() throws IOException {
    deploy();
    Response missing = send(HttpMethod.PUT, "/files/x.txt", Buffer.buffer("x"));
    assertEquals(401, missing.status());
    assertTrue(missing.header("www-authenticate").startsWith("Bearer"));
    Response wrong = send(HttpMethod.PUT, "/files/x.txt", Buffer.buffer("x"), "Authorization", "Bearer wrong-token-0123456789");
    assertEquals(403, wrong.status());
    assertEquals("invalid token", wrong.json().getString("error"));
    assertEquals(401, send(HttpMethod.DELETE, "/files/x.txt", null).status());
    assertEquals(List.of(), leftovers());
  }

  @Test
  void isReadOnlyWithoutAConfiguredToken() throws IOException {
    deploy(new JsonObject().put("token", ""));
    Files.writeString(root.resolve("keep.txt"), "keep");
    Response r = send(HttpMethod.PUT, "/files/x.txt", Buffer.buffer("x"), "Authorization", "Bearer " + TOKEN);
    assertEquals(403, r.status());
    assertTrue(r.json().getString("error").startsWith("read-only"));
    assertEquals(403, send(HttpMethod.DELETE, "/files/keep.txt", null, "Authorization", "Bearer " + TOKEN).status());
    assertEquals(List.of("keep.txt"), leftovers());
    assertEquals("keep", get("/files/keep.txt").text());
  }

  @Test
  void checksIfMatchAndIfNoneMatchOnWrites() throws IOException {
    deploy();
    String etag = put("/files/doc.txt", Buffer.buffer("v1")).header("etag");
    assertEquals(412, put("/files/doc.txt", Buffer.buffer("v2"), "If-Match", "\"stale\"").status());
    assertEquals(412, put("/files/doc.txt", Buffer.buffer("v2"), "If-None-Match", "*").status());
    assertEquals(412, put("/files/other.txt", Buffer.buffer("v2"), "If-Match", "*").status());
    assertEquals("v1", Files.readString(root.resolve("doc.txt")));
    Response updated = put("/files/doc.txt", Buffer.buffer("v2"), "If-Match", etag);
    assertEquals(200, updated.status());
    assertEquals(412, send(HttpMethod.DELETE, "/files/doc.txt", null, "Authorization", "Bearer " + TOKEN, "If-Match", etag).status());
    assertEquals(204, send(HttpMethod.DELETE, "/files/doc.txt", null, "Authorization", "Bearer " + TOKEN,
      "If-Match", updated.header("etag")).status());
    assertEquals(List.of(), leftovers());
  }

  @Test
  void deletesFilesAndEmptyDirectoriesOnly() throws IOException {
    deploy();
    Files.createDirectories(root.resolve("d/e"));
    Files.writeString(root.resolve("d/e/f.txt"), "f");
    String[] auth = {"Authorization", "Bearer " + TOKEN};
    assertEquals(409, send(HttpMethod.DELETE, "/files/d/e", null, auth).status());
    assertEquals(204, send(HttpMethod.DELETE, "/files/d/e/f.txt", null, auth).status());
    assertEquals(404, send(HttpMethod.DELETE, "/files/d/e/f.txt", null, auth).status());
    assertEquals(204, send(HttpMethod.DELETE, "/files/d/e", null, auth).status());
    assertFalse(Files.exists(root.resolve("d/e")));
    assertEquals(400, send(HttpMethod.DELETE, "/files/", null, auth).status());
    assertEquals(409, put("/files/d", Buffer.buffer("x")).status());
  }

  @Test
  void announcesUploadsAndDeletesOnTheBus() throws Exception {
    deploy();
    List<JsonObject> changes = new CopyOnWriteArrayList<>();
    TestKit.awaitUnchecked(vertx.eventBus().<JsonObject>consumer(Addresses.FILES_CHANGED, m -> changes.add(m.body())).completion(), TIMEOUT);
    String etag = put("/files/n.txt", Buffer.buffer("12345")).header("etag");
    send(HttpMethod.DELETE, "/files/n.txt", null, "Authorization", "Bearer " + TOKEN);
    TestKit.awaitPoll(changes::size, n -> n == 2, POLL, TIMEOUT, "two changes announced");
    assertEquals(new JsonObject().put("action", "upload").put("path", "n.txt").put("size", 5).put("etag", etag), changes.get(0));
    assertEquals(new JsonObject().put("action", "delete").put("path", "n.txt"), changes.get(1));
  }

  void assertNoLeftoversSoon(String... expected) throws Exception {
    TestKit.awaitPoll(this::leftovers, List.of(expected)::equals, POLL, TIMEOUT, "only " + List.of(expected) + " left");
  }
}
