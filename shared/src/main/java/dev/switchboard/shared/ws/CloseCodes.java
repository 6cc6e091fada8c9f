package dev.switchboard.shared.ws;

/**
 * WebSocket close codes (RFC 6455 section 7.4 and the IANA registry it set up), and which of them
 * may travel in a close frame.
 */
public final class CloseCodes {

  public static final short NORMAL = 1000;
  public static final short GOING_AWAY = 1001;
  public static final short PROTOCOL_ERROR = 1002;
  public static final short UNSUPPORTED_DATA = 1003;
  /** Reserved: "no code received"; never sent. */
  public static final short NO_STATUS = 1005;
  /** Reserved: "closed without a close frame"; never sent. */
  public static final short ABNORMAL = 1006;
  public static final short INVALID_PAYLOAD = 1007;
  public static final short POLICY_VIOLATION = 1008;
  public static final short MESSAGE_TOO_BIG = 1009;
  public static final short MANDATORY_EXTENSION = 1010;
  public static final short INTERNAL_ERROR = 1011;
  /** Registered after RFC 6455 (service restart, try again later, bad gateway). */
  public static final short LAST_REGISTERED = 1014;
  /** Reserved: "TLS handshake failed"; never sent. */
  public static final short TLS_HANDSHAKE = 1015;
  /** 3000-3999 are registered by libraries and frameworks, 4000-4999 private; nothing above. */
  public static final int FIRST_REGISTERED_RANGE = 3000;
  public static final int LAST_PRIVATE = 4999;

  private CloseCodes() {
  }

  /**
   * True for a code that may be sent in a close frame: 1000-1003, 1007-1014, 3000-4999. Everything
   * else (below 1000, 1004-1006, 1015-2999, 5000 and up) is a protocol error when received.
   */
  public static boolean isValid(int code) {
    return code >= NORMAL && code <= UNSUPPORTED_DATA
      || code >= INVALID_PAYLOAD && code <= LAST_REGISTERED
      || code >= FIRST_REGISTERED_RANGE && code <= LAST_PRIVATE;
  }
}
