package dev.switchboard.files;

/** Entity-tag lists of {@code If-Match} / {@code If-None-Match} (RFC 9110 section 8.8.3). */
final class Etags {

  private Etags() {
  }

  /**
   * Whether {@code header} ({@code *} or a comma-separated list of tags) matches {@code etag}:
   * strong comparison for If-Match (weak tags never match), weak for If-None-Match.
   */
  static boolean anyMatches(String header, String etag, boolean strong) {
    String list = header.trim();
    if (list.equals("*")) {
      return etag != null;
    }
    if (etag == null) {
      return false;
    }
    for (String raw : list.split(",")) {
      String tag = raw.trim();
      boolean weak = tag.startsWith("W/");
      if (weak) {
        if (strong) {
          continue;
        }
        tag = tag.substring(2);
      }
      if (tag.equals(etag)) {
        return true;
      }
    }
    return false;
  }
}
