package dev.switchboard.echo;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The connection count and counters of one echo process, shared by its verticle instances.
 * Bytes in and out are counted by Vert.x itself ({@code vertx_net_server_bytes_read_total},
 * {@code vertx_net_server_bytes_written_total}).
 */
final class EchoMetrics {

  private final MeterRegistry registry;
  private final int maxConnections;
  private final AtomicInteger open = new AtomicInteger();
  private final Counter rejected;

  EchoMetrics(MeterRegistry registry, int maxConnections) {
    this.registry = registry;
    this.maxConnections = maxConnections;
    Gauge.builder("switchboard.echo.connections.open", open, AtomicInteger::get)
      .description("Echo connections open now")
      .register(registry);
    this.rejected = Counter.builder("switchboard.echo.connections.rejected")
      .description("Connections closed on accept because maxConnections were open")
      .register(registry);
  }

  /** Counts a new connection in, unless {@code maxConnections} are already open. */
  boolean tryOpen() {
    while (true) {
      int current = open.get();
      if (current >= maxConnections) {
        rejected.increment();
        return false;
      }
      if (open.compareAndSet(current, current + 1)) {
        return true;
      }
    }
  }

  void closed() {
    open.decrementAndGet();
  }

  /** Connections accepted by one verticle instance: shows that every instance serves. */
  Counter acceptedBy(int instance) {
    return Counter.builder("switchboard.echo.connections.accepted")
      .description("Echo connections accepted, per verticle instance")
      .tag("instance", String.valueOf(instance))
      .register(registry);
  }
}
