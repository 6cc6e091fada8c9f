package dev.switchboard.bridge;

import java.util.Locale;

/**
 * The code of an {@code err} frame, sent in its {@code message} (where Vert.x's TCP bridge puts it)
 * and in {@code code}. A fatal error closes the connection after its frame is flushed; after any
 * other the connection goes on with the next frame.
 */
public enum ErrorCode {
  INVALID_LENGTH(true),
  FRAME_TOO_LARGE(true),
  INVALID_UTF8(false),
  INVALID_JSON(false),
  INVALID_FRAME(false),
  UNKNOWN_TYPE(false),
  MISSING_ADDRESS(false),
  INVALID_ADDRESS(false),
  INVALID_HEADERS(false),
  AUTH_REQUIRED(false),
  AUTH_FAILED(true),
  AUTH_TIMEOUT(true),
  TOKEN_MISMATCH(false),
  ACCESS_DENIED(false),
  UNKNOWN_ADDRESS(false),
  UNKNOWN_REPLY(false),
  TOO_MANY_REGISTRATIONS(false),
  TOO_MANY_REQUESTS(false),
  NO_HANDLERS(false),
  TIMEOUT(false),
  RECIPIENT_FAILURE(false),
  IDLE_TIMEOUT(true),
  SLOW_CONSUMER(true),
  TOO_MANY_CONNECTIONS(true),
  SHUTTING_DOWN(true),
  INTERNAL_ERROR(false);

  private final boolean fatal;
  private final String wireName;

  ErrorCode(boolean fatal) {
    this.fatal = fatal;
    this.wireName = name().toLowerCase(Locale.ROOT);
  }

  /** Whether the bridge closes the connection after sending this error. */
  public boolean fatal() {
    return fatal;
  }

  /** The code as it appears in {@code err} frames, e.g. {@code access_denied}. */
  public String wireName() {
    return wireName;
  }
}
