package dev.switchboard.gateway.upstream;

import dev.switchboard.shared.registry.ServiceRecord;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Promise;
import io.vertx.core.net.SocketAddress;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One service node as this gateway process sees it: its registry record, whether its
 * {@code /ready} last said yes, its circuit breaker (open after repeated failures, so that the
 * node rests; half-open after the rest, to let one request try it), and the requests it has in
 * flight from here. Shared by every gateway instance of the process, so all state is thread-safe.
 */
public final class Backend {

  private final ServiceRecord record;
  private final SocketAddress address;
  private final String label;
  private final CircuitBreaker breaker;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean ready = true;

  Backend(ServiceRecord record, SocketAddress address, CircuitBreaker breaker) {
    this.record = record;
    this.address = address;
    this.label = record.service() + "@" + address.host() + ":" + address.port();
    this.breaker = breaker;
  }

  public ServiceRecord record() {
    return record;
  }

  public String id() {
    return record.id();
  }

  public SocketAddress address() {
    return address;
  }

  /** {@code http@10.0.0.5:3000}: for logs and metric tags. */
  public String label() {
    return label;
  }

  public int inFlight() {
    return inFlight.get();
  }

  void started() {
    inFlight.incrementAndGet();
  }

  void finished() {
    inFlight.decrementAndGet();
  }

  /** Ready by its last health check and its circuit not open. */
  public boolean available() {
    return ready && breaker.state() != CircuitBreakerState.OPEN;
  }

  public CircuitBreakerState circuit() {
    return breaker.state();
  }

  public boolean ready() {
    return ready;
  }

  void ready(boolean ready) {
    this.ready = ready;
  }

  /**
   * Asks the circuit breaker to let one request through: the promise to complete with the
   * request's outcome (a failure counts towards opening the circuit), or null when the breaker
   * refuses (open, or half-open with its one trial request already out).
   */
  Promise<Void> admit() {
    Promise<?>[] admitted = new Promise<?>[1];
    // The breaker runs the command at once when it lets the request through, and not at all otherwise.
    breaker.<Void>execute(promise -> admitted[0] = promise);
    @SuppressWarnings("unchecked")
    Promise<Void> promise = (Promise<Void>) admitted[0];
    return promise;
  }

  /** A node that refused a connection is not there: its circuit opens at once. */
  void refused() {
    if (breaker.state() != CircuitBreakerState.OPEN) {
      breaker.open();
    }
  }

  void close() {
    breaker.close();
  }
}
