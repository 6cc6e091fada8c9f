package dev.switchboard.chat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Part of the {@link ChatStore}: the client ids of posted messages ({@code chat.clientIds},
 * {@code <room>#<nickname>#<clientId>} to the sequence number given), so that a resend is never
 * posted twice within {@code dedupeTtl}; while the number is being given, a negative number unique
 * to that claim, for {@code claimTtl} at most.
 */
final class ClientIdStore {

  private final long dedupeTtlMillis;
  private final long claimTtlMillis;
  private final Future<AsyncMap<String, Long>> clientIds;

  ClientIdStore(Vertx vertx, long dedupeTtlMillis, long claimTtlMillis) {
    this.dedupeTtlMillis = dedupeTtlMillis;
    this.claimTtlMillis = claimTtlMillis;
    this.clientIds = vertx.sharedData().getAsyncMap(ChatStore.CLIENT_IDS);
  }

  Future<?> ready() {
    return clientIds;
  }

  /**
   * Claims a client id; the result is null when it is new, else the sequence number given to it
   * (0 or below: still being given). The claim itself lives {@code claimTtl} only: if the claiming
   * node dies before the number is recorded, a resend after that is posted instead of waiting for
   * a number that will never come.
   */
  Future<Long> claim(String room, String nickname, String clientId) {
    String key = clientKey(room, nickname, clientId);
    // Unique per claim, so that removing a stale claim below can never remove a fresh one.
    long claim = -ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
    return clientIds.compose(map -> map.putIfAbsent(key, claim, claimTtlMillis).compose(previous -> {
      if (previous == null || previous > 0) {
        return Future.succeededFuture(previous);
      }
      // Vert.x's local map keeps an expired entry until its removal timer has run, and putIfAbsent
      // still sees it where get does not: an unnumbered claim get no longer finds has expired.
      return map.get(key).compose(current -> current != null
        ? Future.succeededFuture(current)
        : map.removeIfPresent(key, previous).compose(removed -> map.putIfAbsent(key, claim, claimTtlMillis)));
    }));
  }

  /** The sequence number a client id got: null if unknown, 0 or below while it is being numbered. */
  Future<Long> numberOf(String room, String nickname, String clientId) {
    return clientIds.compose(map -> map.get(clientKey(room, nickname, clientId)));
  }

  Future<Void> claimed(String room, String nickname, String clientId, long seq) {
    return clientIds.compose(map -> map.put(clientKey(room, nickname, clientId), seq, dedupeTtlMillis));
  }

  Future<Void> release(String room, String nickname, String clientId) {
    return clientIds.compose(map -> map.remove(clientKey(room, nickname, clientId))).mapEmpty();
  }
  private static String clientKey(String room, String nickname, String clientId) {
    return room + "#" + nickname + "#" + clientId;
  }
}
