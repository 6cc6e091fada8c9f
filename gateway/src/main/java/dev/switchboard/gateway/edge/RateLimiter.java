package dev.switchboard.gateway.edge;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Token buckets by key (a client address, an API key): each holds up to {@code burst} tokens and
 * gains {@code rate} per second; a request takes one. One per gateway process, shared by its
 * instances, so a client's budget does not depend on which core took its connection.
 *
 * <p>The number of buckets is bounded: full buckets (clients quiet long enough to be back at their
 * burst) are dropped by {@link #sweep}, and when {@code maxKeys} are tracked anyway, a new key is
 * let through untracked rather than refused — with that many distinct clients, a per-client limit
 * no longer protects anything, and refusing would punish newcomers only.
 */
final class RateLimiter {

  private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

  private final double ratePerNano;
  private final double burst;
  private final int maxKeys;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  RateLimiter(double ratePerSecond, int burst, int maxKeys) {
    if (ratePerSecond <= 0 || burst < 1 || maxKeys < 1) {
      throw new IllegalArgumentException("rate, burst and maxKeys must be positive");
    }
    this.ratePerNano = ratePerSecond / NANOS_PER_SECOND;
    this.burst = burst;
    this.maxKeys = maxKeys;
  }

  /**
   * Takes a token for {@code key} at {@code now} (nanoseconds, {@link System#nanoTime}): 0 if the
   * request may go, otherwise how many nanoseconds until a token is there.
   */
  long take(String key, long now) {
    Bucket bucket = buckets.get(key);
    if (bucket == null) {
      if (buckets.size() >= maxKeys) {
        return 0;
      }
      bucket = buckets.computeIfAbsent(key, k -> new Bucket(burst, now));
    }
    return bucket.take(now, ratePerNano, burst);
  }

  /** Drops the buckets that are full again at {@code now}: their clients are as if never seen. */
  void sweep(long now) {
    buckets.values().removeIf(b -> b.full(now, ratePerNano, burst));
  }

  int tracked() {
    return buckets.size();
  }

  private static final class Bucket {

    private double tokens;
    private long updated;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.updated = now;
    }

    synchronized long take(long now, double ratePerNano, double burst) {
      refill(now, ratePerNano, burst);
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return (long) Math.ceil((1 - tokens) / ratePerNano);
    }

    synchronized boolean full(long now, double ratePerNano, double burst) {
      refill(now, ratePerNano, burst);
      return tokens >= burst;
    }

    private void refill(long now, double ratePerNano, double burst) {
      long elapsed = now - updated;
      if (elapsed > 0) {
        tokens = Math.min(burst, tokens + elapsed * ratePerNano);
        updated = now;
      }
    }
  }
}
