package dev.switchboard.gateway.upstream;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The gateway's per-request figures: Prometheus meters per route and backend node (requests by
 * status class, and their duration) and the {@link TrafficStats} the dashboard reads. Meters are
 * made once per route and node and found again without building a key string per request; a
 * request looks them up once.
 */
public final class RouteMeters {

  /** Stands for "no node": requests that found none, or whose every node failed before answering. */
  static final String NO_BACKEND = "none";

  private final MeterRegistry registry;
  private final TrafficStats stats;
  private final Map<String, Map<String, Pair>> pairs = new ConcurrentHashMap<>();

  public RouteMeters(MeterRegistry registry, TrafficStats stats) {
    this.registry = registry;
    this.stats = stats;
  }

  public TrafficStats stats() {
    return stats;
  }

  /** The figures of {@code target}'s route served by {@code node} (null: by none); made once, then found again. */
  Pair of(Target target, Backend node) {
    String backend = node == null ? NO_BACKEND : node.label();
    return pairs.computeIfAbsent(target.name(), r -> new ConcurrentHashMap<>())
      .computeIfAbsent(backend, b -> new Pair(target.name(), b, stats.recorder(target.name(), node == null ? null : b)));
  }

  /** The meters of one route and backend node, and its traffic series. */
  final class Pair {

    private final String route;
    private final String backend;
    /** By status class: 1xx to 5xx at 1 to 5, made on first use. */
    private final Counter[] byClass = new Counter[6];
    private final Timer duration;
    private final TrafficStats.Recorder traffic;

    private Pair(String route, String backend, TrafficStats.Recorder traffic) {
      this.route = route;
      this.backend = backend;
      this.traffic = traffic;
      this.duration = Timer.builder("switchboard.gateway.request.duration")
        .description("Time from a request's arrival at the gateway to the end of its answer, per route and backend node")
        .tag("route", route)
        .tag("backend", backend)
        .register(registry);
    }

    /** The node answered (or failed with) {@code status}: counted when the head is known. */
    void answered(int status) {
      int statusClass = Math.min(5, Math.max(1, status / 100));
      Counter counter = byClass[statusClass];
      if (counter == null) {
        counter = Counter.builder("switchboard.gateway.requests")
          .description("Requests forwarded, per route, backend node and status class (2xx, 5xx, ...)")
          .tag("route", route)
          .tag("backend", backend)
          .tag("status", statusClass + "xx")
          .register(registry); // registering twice returns the same counter: a race here is harmless
        byClass[statusClass] = counter;
      }
      counter.increment();
    }

    /** The request is over, {@code failed} or not, {@code nanos} after it arrived. */
    void finished(boolean failed, long nanos) {
      duration.record(nanos, TimeUnit.NANOSECONDS);
      traffic.record(failed, nanos);
    }
  }
}
