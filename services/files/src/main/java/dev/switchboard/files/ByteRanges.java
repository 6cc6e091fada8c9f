package dev.switchboard.files;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The {@code Range} header (RFC 9110 section 14): {@code bytes=a-b}, {@code bytes=a-},
 * {@code bytes=-n}, and lists of them. A header that does not parse, or asks for more than
 * {@link #MAX_RANGES} ranges, is ignored (the whole file is sent), as the RFC allows; a header
 * none of whose ranges overlaps the file is unsatisfiable (416).
 */
final class ByteRanges {

  /** Most ranges one request may ask for; more is ignored, so a client cannot make tiny parts by the thousand. */
  static final int MAX_RANGES = 32;

  private ByteRanges() {
  }

  /** An inclusive range of bytes, {@code first <= last < size}. */
  record Range(long first, long last) {

    long length() {
      return last - first + 1;
    }

    String contentRange(long size) {
      return "bytes " + first + "-" + last + "/" + size;
    }
  }

  /**
   * The satisfiable ranges of {@code header} for a file of {@code size} bytes: {@code null} when
   * the header is to be ignored, an empty list when it is unsatisfiable. Overlapping ranges are
   * merged (then sorted); otherwise the order of the request is kept.
   */
  static List<Range> parse(String header, long size) {
    if (header == null) {
      return null;
    }
    String value = header.trim();
    int eq = value.indexOf('=');
    if (eq < 0 || !value.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals("bytes")) {
      return null;
    }
    String[] specs = value.substring(eq + 1).split(",", -1);
    if (specs.length > MAX_RANGES) {
      return null;
    }
    List<Range> ranges = new ArrayList<>();
    int parsed = 0;
    for (String raw : specs) {
      String spec = raw.trim();
      if (spec.isEmpty()) {
        continue; // the grammar allows empty list elements
      }
      int dash = spec.indexOf('-');
      if (dash < 0) {
        return null;
      }
      String a = spec.substring(0, dash).trim();
      String b = spec.substring(dash + 1).trim();
      parsed++;
      if (a.isEmpty()) {
        long suffix = number(b);
        if (suffix < 0) {
          return null;
        }
        if (suffix > 0 && size > 0) {
          ranges.add(new Range(Math.max(0, size - suffix), size - 1));
        }
      } else {
        long first = number(a);
        long last = b.isEmpty() ? Long.MAX_VALUE : number(b);
        if (first < 0 || last < 0 || last < first) {
          return null;
        }
        if (first < size) {
          ranges.add(new Range(first, Math.min(last, size - 1)));
        }
      }
    }
    if (parsed == 0) {
      return null;
    }
    return merged(ranges);
  }

  private static List<Range> merged(List<Range> ranges) {
    List<Range> sorted = new ArrayList<>(ranges);
    sorted.sort(Comparator.comparingLong(Range::first));
    boolean overlap = false;
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).first() <= sorted.get(i - 1).last()) {
        overlap = true;
        break;
      }
    }
    if (!overlap) {
      return ranges;
    }
    List<Range> merged = new ArrayList<>();
    Range current = sorted.get(0);
    for (int i = 1; i < sorted.size(); i++) {
      Range next = sorted.get(i);
      if (next.first() <= current.last()) {
        current = new Range(current.first(), Math.max(current.last(), next.last()));
      } else {
        merged.add(current);
        current = next;
      }
    }
    merged.add(current);
    return merged;
  }

  /** A non-negative decimal; -1 when it is not one; numbers too large for a long count as {@link Long#MAX_VALUE}. */
  private static long number(String digits) {
    if (digits.isEmpty()) {
      return -1;
    }
    for (int i = 0; i < digits.length(); i++) {
      if (digits.charAt(i) < '0' || digits.charAt(i) > '9') {
        return -1;
      }
    }
    if (digits.length() > 18) {
      return Long.MAX_VALUE;
    }
    return Long.parseLong(digits);
  }
}
