package dev.switchboard.files;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Counts the transfers (downloads and uploads) each client address has in flight, shared by all
 * verticle instances of a process. An address with no transfer has no entry, so the map's size
 * is bounded by the number of open transfers.
 */
final class TransferLimiter {

  private final int perClient;
  private final ConcurrentMap<String, Integer> inFlight = new ConcurrentHashMap<>();

  TransferLimiter(int perClient) {
    this.perClient = perClient;
  }

  int perClient() {
    return perClient;
  }

  /** Takes a slot for {@code client}; false when it already has {@link #perClient()} transfers. */
  boolean tryAcquire(String client) {
    boolean[] taken = {false};
    inFlight.compute(client, (k, count) -> {
      int current = count == null ? 0 : count;
      if (current >= perClient) {
        return count;
      }
      taken[0] = true;
      return current + 1;
    });
    return taken[0];
  }

  void release(String client) {
    inFlight.computeIfPresent(client, (k, count) -> count <= 1 ? null : count - 1);
  }

  int inFlight(String client) {
    return inFlight.getOrDefault(client, 0);
  }
}
