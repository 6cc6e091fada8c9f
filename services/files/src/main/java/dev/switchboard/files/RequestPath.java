package dev.switchboard.files;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A file path as a client wrote it, checked and split into names that are safe to join to the
 * root: no empty, {@code .} or {@code ..} segment, no slash, backslash, NUL or control character
 * in any form (raw, percent-encoded or double-encoded), and valid UTF-8. Parsing does no I/O; the
 * names are only joined to the root, and symbolic links checked, by {@link FileRoot}.
 *
 * @param names         the decoded names from the root down, empty for the root itself
 * @param trailingSlash whether the path ended with {@code /} (a directory is meant)
 */
record RequestPath(List<String> names, boolean trailingSlash) {

  /** Most names in one path; deeper trees are not served. */
  static final int MAX_DEPTH = 64;
  /** Longest name in bytes of UTF-8, as most file systems allow (NAME_MAX). */
  static final int MAX_NAME_BYTES = 255;

  RequestPath {
    names = List.copyOf(names);
  }

  /** The path relative to the root, names joined with {@code /}, with the trailing slash kept. */
  String relative() {
    String joined = String.join("/", names);
    return trailingSlash && !names.isEmpty() ? joined + "/" : joined;
  }

  /** The last name, or the empty string for the root. */
  String name() {
    return names.isEmpty() ? "" : names.get(names.size() - 1);
  }

  /** Whether a name starts with a dot: hidden files (and uploads in progress) are never served. */
  boolean hidden() {
    return names.stream().anyMatch(n -> n.startsWith("."));
  }

  /**
   * Parses the part of a request's raw (still percent-encoded) path after {@code /files/}.
   *
   * @throws BadPathException when the path is malformed or tries to climb
   */
  static RequestPath parseEncoded(String raw) {
    return parse(raw, true);
  }

  /** Parses an already decoded path, as the event bus carries it; {@code %} is refused like in an encoded one. */
  static RequestPath parseDecoded(String path) {
    return parse(path, false);
  }

  private static RequestPath parse(String raw, boolean encoded) {
    if (raw == null) {
      throw new BadPathException("missing path");
    }
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '\\') {
        throw new BadPathException("backslash in path");
      }
      if (c < 0x20 || c == 0x7f || (encoded && c > 0x7e)) {
        throw new BadPathException("control or non-ASCII character in path");
      }
    }
    if (raw.isEmpty()) {
      return new RequestPath(List.of(), true);
    }
    boolean trailingSlash = raw.endsWith("/");
    String body = trailingSlash ? raw.substring(0, raw.length() - 1) : raw;
    String[] parts = body.split("/", -1);
    if (parts.length > MAX_DEPTH) {
      throw new BadPathException("path deeper than " + MAX_DEPTH);
    }
    List<String> names = new ArrayList<>(parts.length);
    for (String part : parts) {
      String name = encoded ? decode(part) : part;
      check(name);
      names.add(name);
    }
    return new RequestPath(names, trailingSlash);
  }

  private static void check(String name) {
    if (name.isEmpty()) {
      throw new BadPathException("empty path segment");
    }
    if (name.equals(".") || name.equals("..")) {
      throw new BadPathException("dot segment in path");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c == '/' || c == '\\') {
        throw new BadPathException("encoded separator in path");
      }
      if (c == '%') {
        throw new BadPathException("percent sign in a decoded name (double encoding)");
      }
      if (c < 0x20 || c == 0x7f) {
        throw new BadPathException("control character in path");
      }
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
      throw new BadPathException("name longer than " + MAX_NAME_BYTES + " bytes");
    }
  }

  /** Strict percent-decoding: every {@code %} must start two hex digits, and the bytes must be UTF-8. */
  private static String decode(String part) {
    if (part.indexOf('%') < 0) {
      return part;
    }
    ByteBuffer bytes = ByteBuffer.allocate(part.length());
    for (int i = 0; i < part.length(); i++) {
      char c = part.charAt(i);
      if (c == '%') {
        if (i + 2 >= part.length()) {
          throw new BadPathException("truncated percent-encoding");
        }
        int hi = Character.digit(part.charAt(i + 1), 16);
        int lo = Character.digit(part.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new BadPathException("invalid percent-encoding");
        }
        bytes.put((byte) (hi << 4 | lo));
        i += 2;
      } else {
        bytes.put((byte) c);
      }
    }
    bytes.flip();
    try {
      return StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(bytes).toString();
    } catch (CharacterCodingException e) {
      throw new BadPathException("path is not UTF-8");
    }
  }

  /** A malformed path: answered with 400. */
  static final class BadPathException extends RuntimeException {

    BadPathException(String message) {
      super(message, null, false, false);
    }
  }
}
