package dev.switchboard.gateway.upstream;

import dev.switchboard.gateway.config.Policy;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerRequest;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks the node for a request among the available ones of a route. One per route per gateway
 * process, shared by its instances.
 */
public abstract class Balancer {

  /** A node from {@code candidates} (never empty), in a stable order. */
  abstract Backend pick(List<Backend> candidates, HttpServerRequest request);

  public static Balancer of(Policy policy, String hashOn) {
    return switch (policy) {
      case ROUND_ROBIN -> new RoundRobin();
      case LEAST_REQUESTS -> new LeastRequests();
      case POWER_OF_TWO -> new PowerOfTwo();
      case CONSISTENT_HASH -> new RendezvousHash(hashOn);
    };
  }

  public static final class RoundRobin extends Balancer {

    private final AtomicInteger next = new AtomicInteger();

    @Override
    Backend pick(List<Backend> candidates, HttpServerRequest request) {
      return candidates.get(Math.floorMod(next.getAndIncrement(), candidates.size()));
    }
  }

  /** Fewest in flight; ties go round-robin so that an idle cluster is still spread evenly. */
  static final class LeastRequests extends Balancer {

    private final AtomicInteger next = new AtomicInteger();

    @Override
    Backend pick(List<Backend> candidates, HttpServerRequest request) {
      int start = Math.floorMod(next.getAndIncrement(), candidates.size());
      Backend best = null;
      for (int i = 0; i < candidates.size(); i++) {
        Backend candidate = candidates.get((start + i) % candidates.size());
        if (best == null || candidate.inFlight() < best.inFlight()) {
          best = candidate;
        }
      }
      return best;
    }
  }

  static final class PowerOfTwo extends Balancer {

    @Override
    Backend pick(List<Backend> candidates, HttpServerRequest request) {
      int n = candidates.size();
      if (n == 1) {
        return candidates.get(0);
      }
      ThreadLocalRandom random = ThreadLocalRandom.current();
      int first = random.nextInt(n);
      int second = random.nextInt(n - 1);
      if (second >= first) {
        second++;
      }
      Backend a = candidates.get(first);
      Backend b = candidates.get(second);
      return b.inFlight() < a.inFlight() ? b : a;
    }
  }

  /**
   * Consistent hashing by rendezvous (highest random weight): each node scores the key, the highest
   * score wins. A key stays on its node while that node is up; when a node goes, only its keys
   * move. Requests without the key go round-robin.
   */
  static final class RendezvousHash extends Balancer {

    private final boolean cookie;
    private final String name;
    private final RoundRobin fallback = new RoundRobin();

    RendezvousHash(String hashOn) {
      int colon = hashOn.indexOf(':');
      this.cookie = hashOn.substring(0, colon).equals("cookie");
      this.name = hashOn.substring(colon + 1);
    }

    @Override
    Backend pick(List<Backend> candidates, HttpServerRequest request) {
      String key = key(request);
      if (key == null || key.isEmpty()) {
        return fallback.pick(candidates, request);
      }
      Backend best = null;
      long bestScore = 0;
      for (Backend candidate : candidates) {
        long score = mix(hash(key) ^ hash(candidate.id()));
        if (best == null || Long.compareUnsigned(score, bestScore) > 0) {
          best = candidate;
          bestScore = score;
        }
      }
      return best;
    }

    private String key(HttpServerRequest request) {
      if (!cookie) {
        return request.getHeader(name);
      }
      Cookie value = request.getCookie(name);
      return value == null ? null : value.getValue();
    }

    /** 64-bit FNV-1a of the UTF-8 bytes. */
    private static long hash(String text) {
      long h = 0xcbf29ce484222325L;
      for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
        h ^= b & 0xff;
        h *= 0x100000001b3L;
      }
      return h;
    }

    /** SplitMix64's finaliser: spreads close inputs far apart. */
    private static long mix(long z) {
      z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
      z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
      return z ^ (z >>> 31);
    }
  }
}
