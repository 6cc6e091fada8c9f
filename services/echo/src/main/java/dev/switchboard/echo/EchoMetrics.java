package dev.switchboard.echo;

import dev.switchboard.shared.net.ConnectionLimit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The connection count and counters of one echo process, shared by its verticle instances.
 * Bytes in and out are counted by Vert.x itself ({@code vertx_net_server_bytes_read_total},
 * {@code vertx_net_server_bytes_written_total}).
 */
final class EchoMetrics {

  private final MeterRegistry registry;
  private final ConnectionLimit connections;

  EchoMetrics(MeterRegistry registry, int maxConnections) {
    this.registry = registry;
    this.connections = new ConnectionLimit(registry, "echo", maxConnections);
  }

  /** Counts a new connection in, unless {@code maxConnections} are already open. */
  boolean tryOpen() {
    return connections.tryOpen();
  }

  void closed() {
    connections.closed();
  }

  /** Connections accepted by one verticle instance: shows that every instance serves. */
  Counter acceptedBy(int instance) {
    return Counter.builder("switchboard.echo.connections.accepted")
      .description("Echo connections accepted, per verticle instance")
      .tag("instance", String.valueOf(instance))
      .register(registry);
  }
}
