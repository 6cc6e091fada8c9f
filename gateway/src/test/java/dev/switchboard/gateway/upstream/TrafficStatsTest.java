package dev.switchboard.gateway.upstream;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TrafficStatsTest {

  private final AtomicLong second = new AtomicLong(1_000);
  private final TrafficStats stats = new TrafficStats(second::get);

  @Test
  void ratesErrorsAndPercentilesCoverTheLastWholeSeconds() {
    // 100 requests in one second: 98 fast (0.5 ms), 2 slow (40 ms), 5 of them failed.
    for (int i = 0; i < 100; i++) {
      stats.recorder("/api/", "http@a").record(i < 5, TimeUnit.MICROSECONDS.toNanos(i < 98 ? 500 : 40_000));
    }
    assertEquals(0.0, stats.route("/api/", false).getDouble("rps"), "the current second is not counted yet");
    second.incrementAndGet();
    JsonObject route = stats.route("/api/", false);
    assertEquals(100.0 / TrafficStats.RECENT_SECONDS, route.getDouble("rps"));
    assertEquals(0.05, route.getDouble("errorRate"), 1e-9);
    assertEquals(0.512, route.getDouble("p50Ms"), "the bucket 256-512 us");
    assertEquals(65.536, route.getDouble("p99Ms"), "the bucket 32.8-65.5 ms");
    assertEquals(20.0, stats.backend("http@a").getDouble("rps"));
    assertEquals(0.0, stats.backend("http@b").getDouble("rps"), "an unknown node has zeros");
  }

  @Test
  void historyIsOneCountPerSecondForAMinuteAndOldSlotsAreRecycled() {
    for (int s = 0; s < 3; s++) {
      for (int i = 0; i <= s; i++) {
        stats.recorder("/", null).record(false, 1_000);
      }
      second.incrementAndGet();
    }
    JsonArray history = stats.route("/", true).getJsonArray("history");
    assertEquals(TrafficStats.HISTORY_SECONDS, history.size());
    assertEquals(new JsonArray().add(1L).add(2L).add(3L), new JsonArray(history.getList().subList(57, 60)));
    // A minute later the same slots hold new seconds: nothing of the old ones shows.
    second.addAndGet(TrafficStats.HISTORY_SECONDS + 2);
    stats.recorder("/", null).record(false, 1_000);
    second.incrementAndGet();
    history = stats.route("/", true).getJsonArray("history");
    assertEquals(1L, history.stream().mapToLong(n -> ((Number) n).longValue()).sum());
  }
}
