package dev.switchboard.files;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GET and HEAD of files: headers, every range form and its edge cases, multipart, conditionals. */
class DownloadTest extends FilesTestBase {

  static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz";
  static final Instant MODIFIED = Instant.parse("2026-01-02T03:04:05Z");

  @BeforeEach
  void files() throws IOException {
    Files.writeString(root.resolve("abc.txt"), ALPHABET);
    Files.setLastModifiedTime(root.resolve("abc.txt"), FileTime.from(MODIFIED));
    Files.write(root.resolve("empty.bin"), new byte[0]);
    Files.createDirectories(root.resolve("dir"));
    Files.write(root.resolve("dir").resolve("data.bin"), new byte[] {1, 2, 3});
    deploy();
  }

  @Test
  void sendsAFileWithItsValidatorsAndType() {
    Response r = get("/files/abc.txt");
    assertEquals(200, r.status());
    assertEquals(ALPHABET, r.text());
    assertEquals("26", r.header("content-length"));
    assertEquals("text/plain; charset=utf-8", r.header("content-type"));
    assertEquals("bytes", r.header("accept-ranges"));
    assertEquals("Fri, 02 Jan 2026 03:04:05 GMT", r.header("last-modified"));
    assertTrue(r.header("etag").matches("\"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+\""), r.header("etag"));
    assertEquals("application/octet-stream", get("/files/dir/data.bin").header("content-type"));
  }

  @Test
  void answersHeadWithTheSameHeadersAndNoBody() {
    Response get = get("/files/abc.txt");
    Response head = send(HttpMethod.HEAD, "/files/abc.txt", null);
    assertEquals(200, head.status());
    assertEquals(0, head.body().length());
    for (String name : new String[] {"content-length", "content-type", "etag", "last-modified", "accept-ranges"}) {
      assertEquals(get.header(name), head.header(name), name);
    }
  }

  @Test
  void sendsAnEmptyFile() {
    Response r = get("/files/empty.bin");
    assertEquals(200, r.status());
    assertEquals("0", r.header("content-length"));
    assertEquals(0, r.body().length());
  }

  @Test
  void answersAMissingFileAndAFileWithASlashWith404Json() {
    Response missing = get("/files/nope.txt");
    assertEquals(404, missing.status());
    assertEquals("not found", missing.json().getString("error"));
    assertEquals(404, get("/files/abc.txt/").status());
  }

  @Test
  void servesEachSingleRangeForm() {
    assertRange("bytes=0-4", "abcde", "bytes 0-4/26");
    assertRange("bytes=20-", "uvwxyz", "bytes 20-25/26");
    assertRange("bytes=-3", "xyz", "bytes 23-25/26");
    assertRange("bytes=24-1000", "yz", "bytes 24-25/26");
    assertRange("bytes=-1000", ALPHABET, "bytes 0-25/26");
    assertRange("bytes=25-25", "z", "bytes 25-25/26");
  }

  private void assertRange(String range, String body, String contentRange) {
    Response r = get("/files/abc.txt", "Range", range);
    assertEquals(206, r.status(), range);
    assertEquals(body, r.text(), range);
    assertEquals(contentRange, r.header("content-range"), range);
    assertEquals(String.valueOf(body.length()), r.header("content-length"), range);
  }

  @Test
  void answersUnsatisfiableRangesWith416AndTheLength() {
    for (String range : new String[] {"bytes=26-", "bytes=100-200", "bytes=-0"}) {
      Response r = get("/files/abc.txt", "Range", range);
      assertEquals(416, r.status(), range);
      assertEquals("bytes */26", r.header("content-range"), range);
      assertEquals("range not satisfiable", r.json().getString("error"));
    }
    for (String range : new String[] {"bytes=0-", "bytes=-1", "bytes=-0"}) {
      Response r = get("/files/empty.bin", "Range", range);
      assertEquals(416, r.status(), range);
      assertEquals("bytes */0", r.header("content-range"), range);
    }
  }

  @Test
  void ignoresARangeThatDoesNotParse() {
    Response r = get("/files/abc.txt", "Range", "bytes=z-");
    assertEquals(200, r.status());
    assertEquals(ALPHABET, r.text());
  }

  @Test
  void sendsSeveralRangesAsMultipartByteranges() {
    Response r = get("/files/abc.txt", "Range", "bytes=0-2,-2");
    assertEquals(206, r.status());
    Matcher type = Pattern.compile("multipart/byteranges; boundary=(\\w+)").matcher(r.header("content-type"));
    assertTrue(type.matches(), r.header("content-type"));
    String b = type.group(1);
    String expected = "--" + b + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 0-2/26\r\n\r\nabc"
      + "\r\n--" + b + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Range: bytes 24-25/26\r\n\r\nyz"
      + "\r\n--" + b + "--\r\n";
    assertEquals(expected, r.text());
    assertEquals(String.valueOf(expected.getBytes(StandardCharsets.UTF_8).length), r.header("content-length"));
  }

  @Test
  void sendsMultipartPartsLargerThanOneReadChunk() throws IOException {
    byte[] big = new byte[3 * FilesVerticle.MULTIPART_CHUNK + 17];
    new java.util.Random(7).nextBytes(big);
    Files.write(root.resolve("big.bin"), big);
    long last = big.length - 1;
    Response r = get("/files/big.bin", "Range", "bytes=1-" + (2 * FilesVerticle.MULTIPART_CHUNK) + ",-" + (FilesVerticle.MULTIPART_CHUNK + 5));
    assertEquals(206, r.status());
    byte[] body = r.body().getBytes();
    byte[] first = java.util.Arrays.copyOfRange(big, 1, 2 * FilesVerticle.MULTIPART_CHUNK + 1);
    byte[] second = java.util.Arrays.copyOfRange(big, (int) (last - FilesVerticle.MULTIPART_CHUNK - 4), big.length);
    assertTrue(indexOf(body, first) > 0, "first part");
    assertTrue(indexOf(body, second) > 0, "second part");
    assertEquals(Long.parseLong(r.header("content-length")), body.length);
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    return Buffer.buffer(haystack).toString(StandardCharsets.ISO_8859_1).indexOf(new String(needle, StandardCharsets.ISO_8859_1));
  }

  @Test
  void appliesARangeOnlyWhileIfRangeStillNamesTheFile() {
    String etag = get("/files/abc.txt").header("etag");
    assertEquals(206, get("/files/abc.txt", "Range", "bytes=0-0", "If-Range", etag).status());
    assertEquals(206, get("/files/abc.txt", "Range", "bytes=0-0", "If-Range", "Fri, 02 Jan 2026 03:04:05 GMT").status());
    Response stale = get("/files/abc.txt", "Range", "bytes=0-0", "If-Range", "\"other\"");
    assertEquals(200, stale.status());
    assertEquals(ALPHABET, stale.text());
    assertEquals(200, get("/files/abc.txt", "Range", "bytes=0-0", "If-Range", "W/" + etag).status());
    assertEquals(200, get("/files/abc.txt", "Range", "bytes=0-0", "If-Range", "Fri, 02 Jan 2026 03:04:06 GMT").status());
  }

  @Test
  void answersNotModifiedForAMatchingEtagOrDate() {
    String etag = get("/files/abc.txt").header("etag");
    Response r = get("/files/abc.txt", "If-None-Match", "\"x\", " + etag);
    assertEquals(304, r.status());
    assertEquals(0, r.body().length());
    assertEquals(etag, r.header("etag"));
    assertEquals(304, get("/files/abc.txt", "If-None-Match", "W/" + etag).status());
    assertEquals(304, get("/files/abc.txt", "If-None-Match", "*").status());
    assertEquals(200, get("/files/abc.txt", "If-None-Match", "\"other\"").status());
    assertEquals(304, get("/files/abc.txt", "If-Modified-Since", "Fri, 02 Jan 2026 03:04:05 GMT").status());
    assertEquals(200, get("/files/abc.txt", "If-Modified-Since", "Fri, 02 Jan 2026 03:04:04 GMT").status());
    assertEquals(200, get("/files/abc.txt", "If-Modified-Since", "yesterday").status());
    // If-None-Match wins over If-Modified-Since.
    assertEquals(200, get("/files/abc.txt", "If-None-Match", "\"other\"", "If-Modified-Since", "Fri, 02 Jan 2026 03:04:05 GMT").status());
  }

  @Test
  void changesTheEtagWhenTheFileChanges() throws IOException {
    String before = get("/files/abc.txt").header("etag");
    Files.writeString(root.resolve("abc.txt"), ALPHABET.toUpperCase());
    Response after = get("/files/abc.txt", "If-None-Match", before);
    assertEquals(200, after.status());
    assertNotNull(after.header("etag"));
    assertTrue(!before.equals(after.header("etag")));
  }

  @Test
  void ignoresRangeOnHead() {
    Response head = send(HttpMethod.HEAD, "/files/abc.txt", null, "Range", "bytes=0-1");
    assertEquals(200, head.status());
    assertEquals("26", head.header("content-length"));
    assertNull(head.header("content-range"));
  }

  @Test
  void answersOtherMethodsWith405AndTheAllowedOnes() {
    Response r = send(HttpMethod.POST, "/files/abc.txt", null);
    assertEquals(405, r.status());
    assertEquals("GET, HEAD, PUT, DELETE", r.header("allow"));
    assertEquals("method not allowed", r.json().getString("error"));
  }

  @Test
  void readsAreOpenWithoutAToken() {
    assertArrayEquals(new byte[] {1, 2, 3}, get("/files/dir/data.bin").body().getBytes());
  }
}
