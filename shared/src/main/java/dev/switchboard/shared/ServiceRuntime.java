package dev.switchboard.shared;

import dev.switchboard.shared.auth.AuthOptions;
import dev.switchboard.shared.auth.TokenVerifier;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.micrometer.backends.BackendRegistries;

import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The state one service process shares between its verticle instances and its operations
 * endpoints: whether it is serving (for {@code /ready}), the addresses it listens on, the metrics
 * registry, the shutdown grace period, how its HTTP servers meet clients ({@link IngressOptions}) and
 * which tokens it believes ({@link AuthOptions}, checked by one {@link TokenVerifier} per process).
 * One per process; tests make their own.
 */
public final class ServiceRuntime {

  /** Vert.x shares a random port among the servers that listen on the same negative number. */
  private static final AtomicInteger RANDOM_PORT_SLOTS = new AtomicInteger();

  private enum Phase { STARTING, SERVING, DRAINING }

  private final String service;
  private final Duration shutdownGrace;
  private final IngressOptions ingress;
  private final AuthOptions auth;
  private final MeterRegistry meters;
  private final Map<String, String> endpoints = new ConcurrentSkipListMap<>();
  private final AtomicInteger instanceCounter = new AtomicInteger();
  private final Map<String, Integer> randomPortSlots = new ConcurrentHashMap<>();
  private volatile Phase phase = Phase.STARTING;
  private Future<TokenVerifier> tokens;

  private ServiceRuntime(String service, Duration shutdownGrace, IngressOptions ingress, AuthOptions auth, MeterRegistry meters) {
    this.service = Objects.requireNonNull(service);
    this.shutdownGrace = Require.notNegative("shutdown.grace", shutdownGrace);
    this.ingress = Objects.requireNonNull(ingress);
    this.auth = Objects.requireNonNull(auth);
    this.meters = Objects.requireNonNull(meters);
  }

  /**
   * A runtime whose metrics go to the Vert.x Micrometer registry when metrics are enabled, and to a
   * private in-memory registry otherwise.
   */
  public static ServiceRuntime create(String service, Duration shutdownGrace) {
    return create(service, shutdownGrace, new IngressOptions());
  }

  /** As {@link #create(String, Duration)}, with the process's ingress settings. */
  public static ServiceRuntime create(String service, Duration shutdownGrace, IngressOptions ingress) {
    return create(service, shutdownGrace, ingress, new AuthOptions());
  }

  /** As {@link #create(String, Duration, IngressOptions)}, with the process's token settings. */
  public static ServiceRuntime create(String service, Duration shutdownGrace, IngressOptions ingress, AuthOptions auth) {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    return new ServiceRuntime(service, shutdownGrace, ingress, auth, registry != null ? registry : new SimpleMeterRegistry());
  }

  public String service() {
    return service;
  }

  public Duration shutdownGrace() {
    return shutdownGrace;
  }

  /** How the process's HTTP servers meet clients: the head timeout, the trusted proxies. */
  public IngressOptions ingress() {
    return ingress;
  }

  /** Which tokens the process believes. */
  public AuthOptions auth() {
    return auth;
  }

  /**
   * The process's token verifier, started by the first verticle instance that asks (the keys are
   * read once for all of them); fails when {@code auth.jwks} is not set or its keys cannot be read.
   */
  public synchronized Future<TokenVerifier> tokens(Vertx vertx) {
    if (tokens == null) {
      tokens = TokenVerifier.start(vertx, auth);
    }
    return tokens;
  }

  public MeterRegistry meters() {
    return meters;
  }

  /** A number for each verticle instance, 1..N in creation order, used to tag per-instance metrics. */
  public int nextInstance() {
    return instanceCounter.incrementAndGet();
  }

  /**
   * The port to pass to {@code listen}: the configured one, or for 0 a negative number unique to
   * this runtime and endpoint. Vert.x binds a port-0 server anew for every instance, but binds a
   * negative one once and shares it, so every instance of the service serves the same random port
   * as they share a configured one.
   */
  public int bindPort(String endpoint, int configured) {
    if (configured != 0) {
      return configured;
    }
    return randomPortSlots.computeIfAbsent(endpoint, e -> -RANDOM_PORT_SLOTS.incrementAndGet());
  }

  /** Records an address the service listens on, e.g. {@code tcp -> 0.0.0.0:9999}; logged once at start. */
  public void listening(String endpoint, String address) {
    endpoints.put(endpoint, address);
  }

  /** The recorded endpoints, sorted by name. */
  public Map<String, String> endpoints() {
    return Collections.unmodifiableMap(new TreeMap<>(endpoints));
  }

  /** Called once every instance is listening. */
  public void serving() {
    phase = Phase.SERVING;
  }

  /** Called when shutdown starts: {@code /ready} turns false so balancers stop sending work. */
  public void draining() {
    phase = Phase.DRAINING;
  }

  public boolean isServing() {
    return phase == Phase.SERVING;
  }

  public boolean isDraining() {
    return phase == Phase.DRAINING;
  }
}
