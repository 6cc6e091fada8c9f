package dev.switchboard.gateway;

import dev.switchboard.shared.registry.ServiceRecord;
import io.vertx.core.net.SocketAddress;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One service node as this gateway process sees it: its registry record, whether its
 * {@code /ready} last said yes, whether recent failures ejected it, and the requests it has in
 * flight from here. Shared by every gateway instance of the process, so all fields are atomic.
 */
final class Backend {

  private final ServiceRecord record;
  private final SocketAddress address;
  private final String label;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger failures = new AtomicInteger();
  /** In {@link System#nanoTime()} terms; compared by difference, so it starts at now, not at a minimum that would overflow. */
  private final AtomicLong ejectedUntil = new AtomicLong(System.nanoTime());
  private volatile boolean ready = true;

  Backend(ServiceRecord record, SocketAddress address) {
    this.record = record;
    this.address = address;
    this.label = record.service() + "@" + address.host() + ":" + address.port();
  }

  ServiceRecord record() {
    return record;
  }

  String id() {
    return record.id();
  }

  SocketAddress address() {
    return address;
  }

  /** {@code http@10.0.0.5:3000}: for logs and metric tags. */
  String label() {
    return label;
  }

  int inFlight() {
    return inFlight.get();
  }

  void started() {
    inFlight.incrementAndGet();
  }

  void finished() {
    inFlight.decrementAndGet();
  }

  /** Ready by its last health check and not resting after an ejection. */
  boolean available(long nowNanos) {
    return ready && nowNanos - ejectedUntil.get() >= 0;
  }

  boolean ejected(long nowNanos) {
    return nowNanos - ejectedUntil.get() < 0;
  }

  boolean ready() {
    return ready;
  }

  void ready(boolean ready) {
    this.ready = ready;
  }

  /** A request it served without a failure: the failure count starts over. */
  void succeeded() {
    failures.set(0);
  }

  /**
   * A failed request: after {@code ejectAfter} in a row, or at once when the node refused the
   * connection, it gets no traffic for {@code ejectForNanos}. Returns whether this ejected it.
   */
  boolean failed(boolean refused, int ejectAfter, long ejectForNanos, long nowNanos) {
    int count = failures.incrementAndGet();
    if ((refused || count >= ejectAfter) && !ejected(nowNanos)) {
      failures.set(0);
      ejectedUntil.set(nowNanos + ejectForNanos);
      return true;
    }
    return false;
  }
}
