package dev.switchboard.gateway.config;

import java.util.Locale;

/** How a route spreads requests over the nodes of its service. */
public enum Policy {
  /** Each node in turn. */
  ROUND_ROBIN,
  /** The node with the fewest requests in flight from this gateway process. */
  LEAST_REQUESTS,
  /** Two nodes at random, the one with fewer requests in flight. */
  POWER_OF_TWO,
  /** The same node for the same key (a header or cookie), as long as it is up: sticky sessions. */
  CONSISTENT_HASH;

  /** The configuration name: {@code round-robin}, {@code least-requests}, ... */
  public String id() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static Policy of(String id) {
    for (Policy policy : values()) {
      if (policy.id().equals(id)) {
        return policy;
      }
    }
    throw new IllegalArgumentException("unknown policy '" + id + "' (round-robin, least-requests, power-of-two, consistent-hash)");
  }
}
