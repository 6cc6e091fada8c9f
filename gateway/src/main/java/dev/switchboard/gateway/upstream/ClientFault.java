package dev.switchboard.gateway.upstream;

/**
 * An exchange the client broke, or a node refused for the client's own reasons: a body too large,
 * malformed or stalled, a client that left, a handshake the node turned down with a 4xx. It counts
 * neither against the node nor as a reason to try another one, and the caller answers it with
 * {@link #status}.
 */
public final class ClientFault extends RuntimeException {

  /** The status the client is answered (or would have been, had it stayed). */
  private final int status;

  public ClientFault(int status, String message) {
    this(status, message, null);
  }

  public ClientFault(int status, String message, Throwable cause) {
    super(message, cause, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
