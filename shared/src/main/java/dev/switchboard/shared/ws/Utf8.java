package dev.switchboard.shared.ws;

import io.netty.buffer.ByteBuf;

/**
 * Incremental UTF-8 validation (RFC 3629): the state after some bytes is one small int, so a text
 * message can be checked fragment by fragment as it streams, a character split across fragments
 * included, without keeping any of it. Overlong forms, surrogates and code points above U+10FFFF
 * are refused.
 */
final class Utf8 {

  /** Between characters: where a valid message must end. */
  static final int ACCEPT = 0;
  /** Not UTF-8; stays so. */
  static final int REJECT = -1;

  // Inside a character: how many continuation bytes are missing, and for the first of them,
  // which range is allowed (RFC 3629 section 4).
  private static final int ONE_MORE = 1;           // 80..BF
  private static final int TWO_MORE = 2;           // 80..BF, then one
  private static final int THREE_MORE = 3;         // 80..BF, then two
  private static final int AFTER_E0 = 4;           // A0..BF (not overlong), then one
  private static final int AFTER_ED = 5;           // 80..9F (no surrogates), then one
  private static final int AFTER_F0 = 6;           // 90..BF (not overlong), then two
  private static final int AFTER_F4 = 7;           // 80..8F (not above U+10FFFF), then two

  private static final long NON_ASCII = 0x8080808080808080L;

  private Utf8() {
  }

  /** The state after the readable bytes of {@code bytes}, starting from {@code state}. */
  static int validate(int state, ByteBuf bytes) {
    return validate(state, bytes, bytes.readerIndex(), bytes.readableBytes());
  }

  static int validate(int state, ByteBuf bytes, int index, int length) {
    int i = index;
    int end = index + length;
    while (i < end) {
      if (state == ACCEPT) {
        // ASCII, eight bytes at a time: most text is mostly ASCII.
        while (i + 8 <= end && (bytes.getLong(i) & NON_ASCII) == 0) {
          i += 8;
        }
        if (i == end) {
          break;
        }
      } else if (state == REJECT) {
        return REJECT;
      }
      state = next(state, bytes.getByte(i) & 0xFF);
      i++;
    }
    return state;
  }

  static int next(int state, int b) {
    switch (state) {
      case ACCEPT:
        if (b < 0x80) {
          return ACCEPT;
        } else if (b >= 0xC2 && b <= 0xDF) {
          return ONE_MORE;
        } else if (b == 0xE0) {
          return AFTER_E0;
        } else if (b == 0xED) {
          return AFTER_ED;
        } else if (b >= 0xE1 && b <= 0xEF) {
          return TWO_MORE;
        } else if (b == 0xF0) {
          return AFTER_F0;
        } else if (b >= 0xF1 && b <= 0xF3) {
          return THREE_MORE;
        } else if (b == 0xF4) {
          return AFTER_F4;
        }
        return REJECT; // 80..C1 (a stray continuation, or an overlong two-byte form), F5..FF
      case ONE_MORE:
        return continuation(b, 0x80, 0xBF, ACCEPT);
      case TWO_MORE:
        return continuation(b, 0x80, 0xBF, ONE_MORE);
      case THREE_MORE:
        return continuation(b, 0x80, 0xBF, TWO_MORE);
      case AFTER_E0:
        return continuation(b, 0xA0, 0xBF, ONE_MORE);
      case AFTER_ED:
        return continuation(b, 0x80, 0x9F, ONE_MORE);
      case AFTER_F0:
        return continuation(b, 0x90, 0xBF, TWO_MORE);
      case AFTER_F4:
        return continuation(b, 0x80, 0x8F, TWO_MORE);
      default:
        return REJECT;
    }
  }

  private static int continuation(int b, int min, int max, int then) {
    return b >= min && b <= max ? then : REJECT;
  }
}
