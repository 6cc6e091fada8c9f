package dev.switchboard.shared.net;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The connections one process of a service has open, against its {@code maxConnections}, shared
 * by its verticle instances; shown as {@code switchboard_<service>_connections_open} and
 * {@code switchboard_<service>_connections_rejected_total}.
 */
public final class ConnectionLimit {

  private final int max;
  private final AtomicInteger open = new AtomicInteger();
  private final Counter rejected;

  public ConnectionLimit(MeterRegistry registry, String service, int max) {
    this.max = max;
    Gauge.builder("switchboard." + service + ".connections.open", open, AtomicInteger::get)
      .description("Connections open now")
      .register(registry);
    this.rejected = Counter.builder("switchboard." + service + ".connections.rejected")
      .description("Connections closed on accept because maxConnections were open")
      .register(registry);
  }

  /** Counts a new connection in, unless {@code max} are open already (then counts a rejection). */
  public boolean tryOpen() {
    while (true) {
      int current = open.get();
      if (current >= max) {
        rejected.increment();
        return false;
      }
      if (open.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  /** Counts a connection out; call once for each successful {@link #tryOpen}. */
  public void closed() {
    open.decrementAndGet();
  }

  public int open() {
    return open.get();
  }
}
