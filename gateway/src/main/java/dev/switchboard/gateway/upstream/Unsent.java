package dev.switchboard.gateway.upstream;

/**
 * A failed attempt that sent nothing to the node (no connection, no handshake): whatever the
 * request, another node may take it.
 */
public final class Unsent extends RuntimeException {

  public Unsent(Throwable cause) {
    super(cause.getMessage(), cause, false, false);
  }
}
