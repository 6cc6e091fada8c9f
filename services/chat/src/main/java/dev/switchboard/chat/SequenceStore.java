package dev.switchboard.chat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.shareddata.Counter;
import io.vertx.core.shareddata.SharedData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Part of the {@link ChatStore}: each room's sequence counter ({@code chat.seq.<room>}), the only
 * source of its numbers, and its history ({@code chat.history}, the last {@code historySize}
 * messages). It also repairs a counter that was lost with its node, from what this instance and
 * history still know.
 */
final class SequenceStore {

  /** Under the store's name, as before the store was split, so that log settings keep matching. */
  private static final Logger log = LoggerFactory.getLogger(ChatStore.class);

  private final Vertx vertx;
  private final SharedData data;
  private final int historySize;
  private final Future<AsyncMap<String, JsonObject>> history;
  private final Map<String, Future<Counter>> counters = ChatStore.lru();
  /** The highest sequence number known to have been given per room: a floor for the counter if it is ever lost. */
  private final Map<String, Long> known = ChatStore.lru();
  /**
   * The highest sequence number this instance's view of a room has handed out (delivered, skipped,
   * or counted as history when the view opened). Numbers are handed out strictly in order, so a
   * number this instance is given that is not above it was given before.
   */
  private final Map<String, Long> handedOut = ChatStore.lru();
  /** How many of a room's last numbers a view opening looks at for messages still on their way to history. */
  static final int IN_FLIGHT_WINDOW = 64;

  SequenceStore(Vertx vertx, int historySize) {
    this.vertx = vertx;
    this.data = vertx.sharedData();
    this.historySize = historySize;
    this.history = data.getAsyncMap(ChatStore.HISTORY);
  }

  Future<?> ready() {
    return history;
  }

  /**
   * The room's next number. Several may be asked for at once, by this instance and others, and
   * their answers come back in any order: a number below one already given is no sign of trouble
   * as long as this instance's view of the room has not handed it out yet (it waits for it). A
   * number it has handed out already was given twice: the counter went back (see
   * {@link #repairCounter}); it is repaired and asked again. Not behind, the counter answered so
   * late (beyond {@code gapTimeout}) that the room skipped the number: the post fails and the
   * client sends it again.
   */
  Future<Long> nextSeq(String room) {
    return counter(room).compose(Counter::incrementAndGet)
      .compose(seq -> seq > handedOut.getOrDefault(room, 0L) ? Future.succeededFuture(seq)
        : Future.failedFuture(new IllegalStateException("room " + room + ": #" + seq + " was handed out already")))
      .recover(failure -> repairCounter(room).compose(repaired -> repaired
        ? counter(room).compose(Counter::incrementAndGet)
        : Future.failedFuture(failure)))
      .onSuccess(seq -> saw(room, seq));
  }

  /** The room's last number; checked against what this instance knows and what history holds, repaired if behind. */
  Future<Long> lastSeq(String room) {
    return counter(room).compose(Counter::get).compose(last -> {
      long counted = last == null ? 0 : last;
      long floor = known.getOrDefault(room, 0L);
      return (historySize == 0 ? Future.succeededFuture((JsonObject) null) : message(room, counted + 1)).compose(next -> {
        if (last != null && floor <= counted && next == null) {
          return Future.succeededFuture(counted);
        }
        return repairCounter(room).compose(repaired -> counter(room).compose(Counter::get)).map(v -> v == null ? 0L : v);
      });
    }).onSuccess(last -> saw(room, last));
  }

  /** Records that {@code seq} was given in a room (a floor if its counter is ever lost). */
  void saw(String room, long seq) {
    Long floor = known.get(room);
    if (floor == null || floor < seq) {
      known.put(room, seq);
    }
  }

  /** This instance's view of a room has handed out every number up to {@code seq}; it was given, too. */
  void handedOut(String room, long seq) {
    Long before = handedOut.get(room);
    if (before == null || before < seq) {
      handedOut.put(room, seq);
    }
    saw(room, seq);
  }

  /**
   * vertx-hazelcast 5.0.8 keeps each counter as one entry of the map {@value ChatStore#HAZELCAST_COUNTERS},
   * put there (at 0) when a node first opens the counter. If that entry is lost (its partition's
   * owner and backup died together), every increment fails, and once any node opens the counter
   * again it starts over at 0: numbers would be given twice and members would drop them as
   * already seen. Repair: the counter is moved up to the highest number still known, this
   * instance's own or the highest kept in history above it. The result is false when it was not
   * behind, true when it was moved or moved meanwhile (read it again).
   */
  private Future<Boolean> repairCounter(String room) {
    return counter(room).compose(Counter::get).compose(current -> {
      long counted = current == null ? 0 : current;
      return highestKept(room, Math.max(counted, known.getOrDefault(room, 0L)), historySize).compose(floor -> {
        if (current != null && floor <= counted) {
          return Future.succeededFuture(false);
        }
        Future<Boolean> moved = current == null
          ? data.<String, Long>getAsyncMap(ChatStore.HAZELCAST_COUNTERS).compose(map -> map.putIfAbsent(ChatStore.SEQUENCE_PREFIX + room, floor)).map(previous -> previous == null)
          : counter(room).compose(c -> c.compareAndSet(current, floor));
        return moved.map(done -> {
          if (done) {
            log.warn("room {}: its sequence counter was lost or went back (at {}); moved up to #{}", room, current, floor);
          } else {
            // Repaired by someone else, or numbers were given while this looked: read again.
            log.debug("room {}: its sequence counter moved from {} while being checked (highest known #{})", room, current, floor);
          }
          return true;
        });
      });
    });
  }

  /** The highest number from {@code floor} on that history still holds, probing at most {@code probes} numbers up. */
  private Future<Long> highestKept(String room, long floor, int probes) {
    if (probes <= 0) {
      return Future.succeededFuture(floor);
    }
    return message(room, floor + 1).compose(found -> found == null ? Future.succeededFuture(floor) : highestKept(room, floor + 1, probes - 1));
  }

  /** Keeps a message and forgets the one that falls out of the room's window. */
  Future<Void> keep(String room, long seq, JsonObject message) {
    if (historySize == 0) {
      return Future.succeededFuture();
    }
    return history.compose(map -> map.put(key(room, seq), message)
      .onSuccess(v -> {
        if (seq > historySize) {
          map.remove(key(room, seq - historySize));
        }
      }));
  }

  Future<JsonObject> message(String room, long seq) {
    return history.compose(map -> map.get(key(room, seq)));
  }

  /** The kept messages with {@code from < seq <= to}, in order; missing ones are left out. */
  Future<List<JsonObject>> messages(String room, long from, long to) {
    long first = Math.max(from + 1, to - historySize + 1);
    if (historySize == 0 || first > to) {
      return Future.succeededFuture(List.of());
    }
    return history.compose(map -> {
      List<Future<JsonObject>> gets = new ArrayList<>();
      for (long seq = first; seq <= to; seq++) {
        gets.add(map.get(key(room, seq)));
      }
      return Future.join(gets).transform(ignored -> Future.succeededFuture(
        gets.stream().filter(Future::succeeded).map(Future::result).filter(Objects::nonNull).toList()));
    });
  }

  /**
   * Where a view of {@code room} opened now starts, given the room's last number {@code last}: the
   * lowest of the last {@link #IN_FLIGHT_WINDOW} numbers above a kept one whose message is not kept
   * yet (numbered, on its way to history and then to the bus), or {@code last + 1} when there is
   * none; with the kept messages above it, which may have gone over the bus before the view
   * listened. A joiner's replay reads history below it. (A room with nothing kept among those
   * numbers, new or with its history dropped while idle, starts after the counter.)
   */
  Future<Opening> opening(String room, long last) {
    long from = Math.max(0, last - Math.min(IN_FLIGHT_WINDOW, historySize));
    if (historySize == 0 || last <= from) {
      return Future.succeededFuture(new Opening(last + 1, List.of()));
    }
    // Kept messages come in order. Below the first of them a missing one was evicted, or the room's
    // history dropped while it was idle (then nothing is kept and the view starts after the counter).
    return messages(room, from, last).map(kept -> {
      long first = last + 1;
      long expected = kept.isEmpty() ? first : kept.get(0).getLong("seq", 0L);
      for (JsonObject message : kept) {
        if (message.getLong("seq", 0L) != expected) {
          first = expected;
          break;
        }
        expected++;
      }
      if (first > last && expected <= last) {
        first = expected; // the newest numbers are still on their way
      }
      long start = first;
      return new Opening(first, kept.stream().filter(message -> message.getLong("seq", 0L) > start).toList());
    });
  }

  /** Where a room's view starts ({@code first}), and the kept messages after that number, in order. */
  record Opening(long first, List<JsonObject> keptAfter) {
  }

  /** Forgets a room's history (the room is dropped); its counter stays. */
  Future<Void> forget(String room) {
    return lastSeq(room).compose(last -> {
      List<Future<JsonObject>> removals = new ArrayList<>();
      for (long seq = Math.max(1, last - historySize + 1); seq <= last && historySize > 0; seq++) {
        long s = seq;
        removals.add(history.compose(map -> map.remove(key(room, s))));
      }
      return Future.join(removals).mapEmpty();
    });
  }

  /**
   * A room's counter, opened on a worker thread: vertx-hazelcast 5.0.8 opens a counter with a
   * blocking map call on the calling thread, which on an event loop would freeze every connection
   * of this instance for as long as the cluster takes to answer (seconds to minutes while members
   * are being declared dead).
   */
  private Future<Counter> counter(String room) {
    Future<Counter> counter = counters.get(room);
    if (counter == null || counter.failed()) {
      counter = vertx.executeBlocking(() -> data.getCounter(ChatStore.SEQUENCE_PREFIX + room), false).compose(opening -> opening);
      counters.put(room, counter);
    }
    return counter;
  }

  private static String key(String room, long seq) {
    return room + "#" + seq;
  }
}
