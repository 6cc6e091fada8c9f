package dev.switchboard.files;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The small header formats alone: digests, entity-tag lists, HTTP dates. */
class HeaderFormatsTest {

  private static final byte[] SHA = FilesTestBase.sha256("x".getBytes(StandardCharsets.UTF_8));
  private static final String B64 = Base64.getEncoder().encodeToString(SHA);

  @Test
  void readsSha256FromEitherDigestHeader() {
    assertArrayEquals(SHA, ContentDigest.expectedSha256("sha-256=:" + B64 + ":", null));
    assertArrayEquals(SHA, ContentDigest.expectedSha256("md5=:AAAA:, sha-256=:" + B64 + ":", null));
    assertArrayEquals(SHA, ContentDigest.expectedSha256(null, "SHA-256=" + B64));
    assertArrayEquals(SHA, ContentDigest.expectedSha256("sha-256=:" + B64 + ":", "sha-256=" + B64));
    assertNull(ContentDigest.expectedSha256("sha-512=:AAAA:", null));
    assertNull(ContentDigest.expectedSha256(null, null));
  }

  @Test
  void refusesMalformedOrDisagreeingDigests() {
    String other = Base64.getEncoder().encodeToString(new byte[32]);
    for (String[] bad : new String[][] {{"sha-256=" + B64, null}, {"sha-256=:***:", null}, {"sha-256=:AAAA:", null},
      {null, "SHA-256=!!"}, {"sha-256=:" + B64 + ":", "SHA-256=" + other}}) {
      assertThrows(IllegalArgumentException.class, () -> ContentDigest.expectedSha256(bad[0], bad[1]), String.join(" / ", String.valueOf(bad[0]), String.valueOf(bad[1])));
    }
  }

  @Test
  void comparesEntityTagsStronglyOrWeakly() {
    String etag = "\"1-2-3\"";
    assertTrue(Etags.anyMatches("\"a\", \"1-2-3\"", etag, true));
    assertFalse(Etags.anyMatches("W/\"1-2-3\"", etag, true));
    assertTrue(Etags.anyMatches("W/\"1-2-3\"", etag, false));
    assertTrue(Etags.anyMatches("*", etag, true));
    assertFalse(Etags.anyMatches("*", null, true));
    assertFalse(Etags.anyMatches("\"1-2-3\"", null, false));
  }

  @Test
  void writesAndReadsHttpDates() {
    assertEquals("Fri, 02 Jan 2026 03:04:05 GMT", HttpDates.format(1767323045_000L));
    assertEquals(1767323045L, HttpDates.parseSeconds("Fri, 02 Jan 2026 03:04:05 GMT"));
    assertEquals(-1, HttpDates.parseSeconds("yesterday"));
    assertEquals(-1, HttpDates.parseSeconds(null));
  }
}
