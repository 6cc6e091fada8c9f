package dev.switchboard.bridge;

/**
 * A client frame the bridge refuses: what goes into the {@code err} frame, including the
 * {@code id} and address of the frame when they could be read.
 */
final class FrameException extends Exception {

  private final ErrorCode code;
  private final Object id;
  private final String address;
  private final String sourceAddress;

  FrameException(ErrorCode code, String message, Object id, String address, String sourceAddress) {
    super(message, null, false, false);
    this.code = code;
    this.id = id;
    this.address = address;
    this.sourceAddress = sourceAddress;
  }

  FrameException(ErrorCode code, String message, Object id, String address) {
    this(code, message, id, address, null);
  }

  FrameException(ErrorCode code, String message) {
    this(code, message, null, null);
  }

  ErrorCode code() {
    return code;
  }

  Object id() {
    return id;
  }

  String address() {
    return address;
  }

  /** For a refused request: the address it was sent to ({@link #address()} is then its reply address). */
  String sourceAddress() {
    return sourceAddress;
  }
}
