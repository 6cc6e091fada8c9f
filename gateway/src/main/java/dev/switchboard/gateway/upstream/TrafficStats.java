package dev.switchboard.gateway.upstream;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * Live traffic figures per route and per backend node over the last minute, second by second: what
 * the dashboard draws. One per gateway process, shared by its instances; recording a request is a
 * few atomic increments, never a lock, except once per second per series when a slot is recycled.
 */
public final class TrafficStats {

  /** Seconds of history kept, and drawn as each route's sparkline. */
  public static final int HISTORY_SECONDS = 60;
  /** Rates and latencies are over this many whole seconds before the current one. */
  public static final int RECENT_SECONDS = 5;
  /**
   * Latency buckets: bucket {@code i} holds durations below {@code 2^(i+1)} microseconds, so the
   * 24 buckets reach past 16 s; percentiles are reported as a bucket's upper bound (within 2x).
   */
  private static final int BUCKETS = 24;

  private final LongSupplier clock;
  private final Map<String, Series> routes = new ConcurrentHashMap<>();
  private final Map<String, Series> backends = new ConcurrentHashMap<>();

  public TrafficStats() {
    this(() -> TimeUnit.NANOSECONDS.toSeconds(System.nanoTime()));
  }

  /** With {@code clock} telling the current second (tests move it by hand). */
  TrafficStats(LongSupplier clock) {
    this.clock = clock;
  }

  /** Records the requests of {@code route} served by {@code backend} (null: by none), without looking either up again. */
  Recorder recorder(String route, String backend) {
    return new Recorder(routes.computeIfAbsent(route, r -> new Series()),
      backend == null ? null : backends.computeIfAbsent(backend, b -> new Series()));
  }

  /** The series one kind of request counts in: its route's, and its node's if one served it. */
  final class Recorder {

    private final Series route;
    private final Series backend;

    private Recorder(Series route, Series backend) {
      this.route = route;
      this.backend = backend;
    }

    /** One request finished, failed or not, {@code nanos} after it arrived. */
    void record(boolean failed, long nanos) {
      long second = clock.getAsLong();
      route.record(second, failed, nanos);
      if (backend != null) {
        backend.record(second, failed, nanos);
      }
    }
  }

  /** {@code rps}, {@code errorRate}, {@code p50Ms}, {@code p99Ms} of one route, with its per-second history when asked. */
  public JsonObject route(String route, boolean history) {
    return figures(routes.get(route), history);
  }

  public JsonObject backend(String backend) {
    return figures(backends.get(backend), false);
  }

  private JsonObject figures(Series series, boolean history) {
    long second = clock.getAsLong();
    JsonObject json = series == null ? Series.empty() : series.recent(second);
    if (history) {
      json.put("history", series == null ? zeros() : series.history(second));
    }
    return json;
  }

  private static JsonArray zeros() {
    JsonArray zeros = new JsonArray();
    for (int i = 0; i < HISTORY_SECONDS; i++) {
      zeros.add(0);
    }
    return zeros;
  }

  /** A ring of one-second slots: requests, failures and a latency histogram per slot. */
  private static final class Series {

    private static final int SLOTS = HISTORY_SECONDS + 2;

    private final AtomicLong[] stamps = new AtomicLong[SLOTS];
    private final AtomicLongArray requests = new AtomicLongArray(SLOTS);
    private final AtomicLongArray failures = new AtomicLongArray(SLOTS);
    private final AtomicLongArray latencies = new AtomicLongArray(SLOTS * BUCKETS);

    Series() {
      for (int i = 0; i < SLOTS; i++) {
        stamps[i] = new AtomicLong(-1);
      }
    }

    void record(long second, boolean failed, long nanos) {
      int slot = (int) (second % SLOTS);
      if (stamps[slot].get() != second) {
        recycle(slot, second);
      }
      requests.incrementAndGet(slot);
      if (failed) {
        failures.incrementAndGet(slot);
      }
      latencies.incrementAndGet(slot * BUCKETS + bucket(nanos));
    }

    private synchronized void recycle(int slot, long second) {
      if (stamps[slot].get() == second) {
        return; // another event loop got here first
      }
      requests.set(slot, 0);
      failures.set(slot, 0);
      for (int b = 0; b < BUCKETS; b++) {
        latencies.set(slot * BUCKETS + b, 0);
      }
      stamps[slot].set(second);
    }

    private static int bucket(long nanos) {
      long micros = Math.max(1, nanos / 1000);
      return Math.min(BUCKETS - 1, 63 - Long.numberOfLeadingZeros(micros));
    }

    /** The count of {@code second}'s slot, 0 if that slot holds another second. */
    private long at(AtomicLongArray counts, long second) {
      int slot = (int) (second % SLOTS);
      return stamps[slot].get() == second ? counts.get(slot) : 0;
    }

    JsonObject recent(long now) {
      long count = 0;
      long failed = 0;
      long[] histogram = new long[BUCKETS];
      for (long s = now - RECENT_SECONDS; s < now; s++) {
        int slot = (int) (s % SLOTS);
        if (stamps[slot].get() != s) {
          continue;
        }
        count += requests.get(slot);
        failed += failures.get(slot);
        for (int b = 0; b < BUCKETS; b++) {
          histogram[b] += latencies.get(slot * BUCKETS + b);
        }
      }
      return new JsonObject()
        .put("rps", (double) count / RECENT_SECONDS)
        .put("errorRate", count == 0 ? 0.0 : (double) failed / count)
        .put("p50Ms", percentile(histogram, count, 0.50))
        .put("p99Ms", percentile(histogram, count, 0.99));
    }

    static JsonObject empty() {
      return new JsonObject().put("rps", 0.0).put("errorRate", 0.0).put("p50Ms", 0.0).put("p99Ms", 0.0);
    }

    /** Requests per second for each of the last {@link #HISTORY_SECONDS} whole seconds, oldest first. */
    JsonArray history(long now) {
      JsonArray history = new JsonArray();
      for (long s = now - HISTORY_SECONDS; s < now; s++) {
        history.add(at(requests, s));
      }
      return history;
    }

    /** The upper bound, in milliseconds, of the bucket holding the {@code q} quantile. */
    private static double percentile(long[] histogram, long count, double q) {
      if (count == 0) {
        return 0.0;
      }
      long rank = (long) Math.ceil(q * count);
      long seen = 0;
      for (int b = 0; b < BUCKETS; b++) {
        seen += histogram[b];
        if (seen >= rank) {
          return (1L << (b + 1)) / 1000.0;
        }
      }
      return (1L << BUCKETS) / 1000.0;
    }
  }
}
