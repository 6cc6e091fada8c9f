package dev.switchboard.shared.web;

/**
 * A request head whose framing RFC 9112 refuses (see {@link StrictHttp}): the status it is
 * answered with, and why. Thrown inside Netty's decoder, it marks the request as one that could not
 * be decoded.
 */
public final class HttpFramingException extends IllegalArgumentException {

  private final int status;

  public HttpFramingException(int status, String message) {
    super(message);
    this.status = status;
  }

  /** 400, 501 for a transfer coding that is not implemented, 505 for an HTTP version. */
  public int status() {
    return status;
  }
}
