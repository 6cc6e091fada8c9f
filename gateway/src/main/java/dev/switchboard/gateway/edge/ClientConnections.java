package dev.switchboard.gateway.edge;

import dev.switchboard.shared.net.AddressBlocks;
import dev.switchboard.shared.web.StrictHttp;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.SocketAddress;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Connections open at once per client address (the TCP peer), bounded: what a slowloris or a
 * connection flood from one client can hold of the gateway, whatever the head timeout lets each
 * one keep. A connection past the bound is answered {@code 429} at once (before its request: the
 * bytes are written straight to the socket) and closed. Trusted proxies are not counted: every
 * client behind one shares its address. One per gateway process, shared by its instances.
 */
public final class ClientConnections {

  private static final String REFUSAL_ERROR = "too many connections from this client";

  private final int max;
  private final AddressBlocks trusted;
  private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();
  private final Counter refused;

  /**
   * @param max     connections one client address may hold open; 0: no bound
   * @param trusted proxies, not bounded
   */
  public ClientConnections(int max, AddressBlocks trusted, MeterRegistry meters) {
    this.max = max;
    this.trusted = trusted;
    this.refused = Counter.builder("switchboard.gateway.client.connections.refused")
      .description("Connections refused with 429 for their client's maxConnectionsPerClient").register(meters);
  }

  /** Counts {@code connection} against its client until it closes; refuses it if the client holds its bound already. */
  public void accept(HttpConnection connection) {
    if (max == 0) {
      return;
    }
    SocketAddress peer = connection.remoteAddress();
    String client = peer == null ? null : peer.hostAddress();
    if (client == null || trusted.contains(client)) {
      return;
    }
    AtomicInteger count = open.computeIfAbsent(client, c -> new AtomicInteger());
    if (count.incrementAndGet() > max) {
      release(client, count);
      refused.increment();
      refuse(connection);
      return;
    }
    connection.closeHandler(v -> release(client, count));
  }

  private void release(String client, AtomicInteger count) {
    if (count.decrementAndGet() == 0) {
      open.remove(client, count);
      // A connection counted in between keeps its own count: a new one is made for the next.
    }
  }

  /** The 429, written to the socket (no request exists yet), then the connection closed. */
  private static void refuse(HttpConnection connection) {
    StrictHttp.refuse(connection, 429, "Too Many Requests", REFUSAL_ERROR);
  }
}
