package dev.switchboard.gateway.upstream;

import java.util.concurrent.TimeoutException;

/**
 * A call that no node answered: none was available ({@link #attempts} 0), or every attempt failed.
 * {@link #getCause} is the last failure; {@link #status} the last status that made the call try
 * another node, when that is why it ran out.
 */
public final class NoAnswer extends RuntimeException {

  private final String service;
  private final int attempts;
  private final int status;

  NoAnswer(String service, int attempts, Throwable last, int status) {
    super(describe(service, attempts, last, status), last, false, false);
    this.service = service;
    this.attempts = attempts;
    this.status = status;
  }

  private static String describe(String service, int attempts, Throwable last, int status) {
    if (attempts == 0) {
      return "no " + service + " node is available";
    }
    if (last == null && status != 0) {
      return service + " answered " + status + " on every node tried";
    }
    return service + " failed: " + (last == null ? "no answer" : last.getClass().getSimpleName());
  }

  public String service() {
    return service;
  }

  /** Nodes tried. */
  public int attempts() {
    return attempts;
  }

  /** The status to give the client: 503 with no node, 504 when the last node timed out, the nodes' own status, or 502. */
  public int status() {
    if (attempts == 0) {
      return 503;
    }
    if (getCause() instanceof TimeoutException) {
      return 504;
    }
    return getCause() == null && status != 0 ? status : 502;
  }
}
