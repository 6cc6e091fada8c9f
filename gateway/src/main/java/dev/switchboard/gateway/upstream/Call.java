package dev.switchboard.gateway.upstream;

/**
 * A call a node answered: the node, its answer, and the two things the caller owes when it is
 * done with them. {@link #record} once the exchange's outcome is known (for a request: its end;
 * for a WebSocket or TCP connection: its handshake), {@link #release} when the node is no longer
 * busy with it (for a connection: its close). Both run once, whatever calls them again.
 *
 * @param <T> the node's answer
 */
public final class Call<T> {

  private final Backend node;
  private final T answer;
  private final RouteMeters.Pair meters;
  private final long started;
  private boolean recorded;
  private boolean released;

  Call(Backend node, T answer, RouteMeters.Pair meters, long started) {
    this.node = node;
    this.answer = answer;
    this.meters = meters;
    this.started = started;
  }

  public Backend node() {
    return node;
  }

  public T answer() {
    return answer;
  }

  /** Counts the exchange in the route's meters: {@code failed} or not, timed from the call's start. */
  public void record(boolean failed) {
    if (!recorded) {
      recorded = true;
      meters.finished(failed, System.nanoTime() - started);
    }
  }

  /** The node is done with this exchange: it leaves the node's count of calls in flight. */
  public void release() {
    if (!released) {
      released = true;
      node.finished();
    }
  }

  /** {@link #record} and {@link #release}: a request is over. */
  public void finished(boolean failed) {
    record(failed);
    release();
  }
}
