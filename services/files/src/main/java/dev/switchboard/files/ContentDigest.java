package dev.switchboard.files;

import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;

/**
 * The SHA-256 an upload announces: {@code Content-Digest: sha-256=:BASE64:} (RFC 9530) or the
 * older {@code Digest: SHA-256=BASE64} (RFC 3230). Other algorithms are ignored; a sha-256 value
 * that is not 32 bytes of base64 is malformed.
 */
final class ContentDigest {

  static final int SHA256_BYTES = 32;

  private ContentDigest() {
  }

  /**
   * The expected digest, or {@code null} when neither header names sha-256.
   *
   * @throws IllegalArgumentException when a sha-256 value is malformed or the two headers disagree
   */
  static byte[] expectedSha256(String contentDigest, String digest) {
    byte[] modern = contentDigest == null ? null : find(contentDigest, true);
    byte[] legacy = digest == null ? null : find(digest, false);
    if (modern != null && legacy != null && !Arrays.equals(modern, legacy)) {
      throw new IllegalArgumentException("Content-Digest and Digest disagree");
    }
    return modern != null ? modern : legacy;
  }

  private static byte[] find(String header, boolean structured) {
    for (String member : header.split(",")) {
      int eq = member.indexOf('=');
      if (eq < 0) {
        continue;
      }
      String algorithm = member.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      if (!algorithm.equals("sha-256")) {
        continue;
      }
      String value = member.substring(eq + 1).trim();
      if (structured) {
        if (value.length() < 2 || value.charAt(0) != ':' || value.charAt(value.length() - 1) != ':') {
          throw new IllegalArgumentException("Content-Digest sha-256 must be a byte sequence, :base64:");
        }
        value = value.substring(1, value.length() - 1);
      }
      byte[] bytes;
      try {
        bytes = Base64.getDecoder().decode(value);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("sha-256 digest is not base64");
      }
      if (bytes.length != SHA256_BYTES) {
        throw new IllegalArgumentException("sha-256 digest must be " + SHA256_BYTES + " bytes");
      }
      return bytes;
    }
    return null;
  }
}
