package dev.switchboard.bridge;

import dev.switchboard.shared.net.ConnectionLimit;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.EnumMap;
import java.util.Map;

/**
 * Connection count and counters of one bridge process, shared by its verticle instances. Every
 * meter is made once, so counting costs no lookups per frame.
 */
final class BridgeMetrics {

  private final ConnectionLimit connections;
  private final Counter delivered;
  private final Counter dropped;
  private final Map<ClientFrame.Type, Counter> frames = new EnumMap<>(ClientFrame.Type.class);
  private final Map<ErrorCode, Counter> errors = new EnumMap<>(ErrorCode.class);

  BridgeMetrics(MeterRegistry registry, int maxConnections) {
    connections = new ConnectionLimit(registry, "bridge", maxConnections);
    delivered = Counter.builder("switchboard.bridge.messages.delivered")
      .description("Bus messages written to clients")
      .register(registry);
    dropped = Counter.builder("switchboard.bridge.messages.dropped")
      .description("Bus messages for a registered address not written: denied by a match, too large, or not JSON")
      .register(registry);
    for (ClientFrame.Type type : ClientFrame.Type.values()) {
      frames.put(type, Counter.builder("switchboard.bridge.frames")
        .description("Frames accepted from clients, by type")
        .tag("type", type.name().toLowerCase())
        .register(registry));
    }
    for (ErrorCode code : ErrorCode.values()) {
      errors.put(code, Counter.builder("switchboard.bridge.errors")
        .description("err frames sent to clients, by code")
        .tag("code", code.wireName())
        .register(registry));
    }
  }

  /** Counts a new connection in, unless {@code maxConnections} are already open. */
  boolean tryOpen() {
    return connections.tryOpen();
  }

  void closed() {
    connections.closed();
  }

  int open() {
    return connections.open();
  }

  void frame(ClientFrame.Type type) {
    frames.get(type).increment();
  }

  void error(ErrorCode code) {
    errors.get(code).increment();
  }

  double errors(ErrorCode code) {
    return errors.get(code).count();
  }

  void delivered() {
    delivered.increment();
  }

  void dropped() {
    dropped.increment();
  }
}
