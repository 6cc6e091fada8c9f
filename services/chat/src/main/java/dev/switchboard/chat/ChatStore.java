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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The chat's cluster-wide state, kept in Vert.x shared data: local maps when Vert.x runs alone,
 * Hazelcast maps (one synchronous backup each) when it is clustered, so that every entry survives
 * the loss of any one node.
 * <ul>
 *   <li>{@code chat.seq.<room>}: a counter per room, the only source of sequence numbers;</li>
 *   <li>{@code chat.history}: {@code <room>#<seq>} to the message event, the last {@code historySize} per room;</li>
 *   <li>{@code chat.presence.<room>}: one map per room, nickname to {@code {node, connection}}: a
 *       nickname is unique in a room, and a room's members are read without the other rooms';</li>
 *   <li>{@code chat.roomIndex}: room to the time it was last active (join, leave, message), for
 *       the room list, node departures and the expiry of idle rooms;</li>
 *   <li>{@code chat.clientIds}: {@code <room>#<nickname>#<clientId>} to the sequence number given,
 *       for {@code dedupeTtl}; while it is being given, a negative number unique to that claim,
 *       for {@code claimTtl} at most.</li>
 * </ul>
 */
final class ChatStore {

  static final String HISTORY = "chat.history";
  static final String PRESENCE_PREFIX = "chat.presence.";
  static final String ROOM_INDEX = "chat.roomIndex";
  static final String CLIENT_IDS = "chat.clientIds";
  static final String SEQUENCE_PREFIX = "chat.seq.";
  /** Where vertx-hazelcast 5.0.8 keeps every counter (see {@link #repairCounter}). */
  static final String HAZELCAST_COUNTERS = "__vertx.map.counter";
  private static final Logger log = LoggerFactory.getLogger(ChatStore.class);
  /** Counters, presence maps and touch times kept per verticle instance (most recently used). */
  private static final int OPEN_PER_INSTANCE = 1024;

  private final Vertx vertx;
  private final SharedData data;
  private final int historySize;
  private final long dedupeTtlMillis;
  private final long claimTtlMillis;
  private final Future<AsyncMap<String, JsonObject>> history;
  private final Future<AsyncMap<String, Long>> roomIndex;
  private final long touchEveryMillis;
  /** When this instance last marked a room active. */
  private final Map<String, Long> touched = lru();
  private final Map<String, Future<AsyncMap<String, JsonObject>>> presenceMaps = lru();
  private final Future<AsyncMap<String, Long>> clientIds;
  private final Map<String, Future<Counter>> counters = lru();
  /** The highest sequence number known to have been given per room: a floor for the counter if it is ever lost. */
  private final Map<String, Long> known = lru();
  /**
   * The highest sequence number this instance's view of a room has handed out (delivered, skipped,
   * or counted as history when the view opened). Numbers are handed out strictly in order, so a
   * number this instance is given that is not above it was given before.
   */
  private final Map<String, Long> handedOut = lru();

  ChatStore(Vertx vertx, int historySize, long dedupeTtlMillis, long claimTtlMillis, long touchEveryMillis) {
    this.vertx = vertx;
    this.data = vertx.sharedData();
    this.historySize = historySize;
    this.dedupeTtlMillis = dedupeTtlMillis;
    this.claimTtlMillis = claimTtlMillis;
    this.touchEveryMillis = touchEveryMillis;
    this.history = data.getAsyncMap(HISTORY);
    this.roomIndex = data.getAsyncMap(ROOM_INDEX);
    this.clientIds = data.getAsyncMap(CLIENT_IDS);
  }

  Future<?> ready() {
    return Future.all(history, roomIndex, clientIds);
  }

  /** A map that keeps the {@link #OPEN_PER_INSTANCE} most recently used entries. */
  private static <V> Map<String, V> lru() {
    return new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
        return size() > OPEN_PER_INSTANCE;
      }
    };
  }

  // ---- sequence and history

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
   * vertx-hazelcast 5.0.8 keeps each counter as one entry of the map {@value #HAZELCAST_COUNTERS},
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
          ? data.<String, Long>getAsyncMap(HAZELCAST_COUNTERS).compose(map -> map.putIfAbsent(SEQUENCE_PREFIX + room, floor)).map(previous -> previous == null)
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

  // ---- client ids

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

  // ---- presence: one map per room, keyed by nickname

  /** What {@link #enter} did: {@code in} false when another connection holds the nickname; {@code tookOver} the entry replaced, if any. */
  record Entered(boolean in, JsonObject tookOver) {
    static final Entered REFUSED = new Entered(false, null);
    static final Entered IN = new Entered(true, null);
  }

  /**
   * Enters a room under a nickname unique in it; refused when another connection holds the
   * nickname there, unless it has the same session: then this one takes it over, and the result
   * names the entry (node and connection) it replaced. Marks the room active in the room index
   * first, so a sweep never drops a room somebody is entering.
   */
  Future<Entered> enter(String node, String connection, String room, String nickname, String session) {
    JsonObject entry = presenceEntry(node, connection, session);
    return touch(room).compose(v -> presence(room)).compose(map -> map.putIfAbsent(nickname, entry).compose(previous -> {
      if (previous == null || previous.equals(entry)) {
        return Future.succeededFuture(Entered.IN);
      }
      if (session != null && session.equals(previous.getString("session"))) {
        // The same client again, before its old connection was noticed gone: it takes over.
        return map.replaceIfPresent(nickname, previous, entry).map(replaced -> replaced ? new Entered(true, previous) : Entered.REFUSED);
      }
      return Future.succeededFuture(Entered.REFUSED);
    }));
  }

  /**
   * Removes an entry; the result is true when this call removed it (not someone else first, nor
   * a connection of the same session that took the nickname over).
   */
  Future<Boolean> exit(String node, String connection, String room, String nickname, String session) {
    return presence(room).compose(map -> map.removeIfPresent(nickname, presenceEntry(node, connection, session)))
      .compose(removed -> touch(room).otherwiseEmpty().map(removed));
  }

  /** The nicknames in a room, sorted; reads that room's entries only. */
  Future<List<String>> members(String room) {
    return presence(room).compose(AsyncMap::keys).map(keys -> keys.stream().sorted().toList());
  }

  /** Room name to member count, for every room with members. */
  Future<Map<String, Integer>> rooms() {
    return roomIndex.compose(AsyncMap::keys).compose(names -> {
      List<String> sorted = new ArrayList<>(new TreeSet<>(names));
      List<Future<Integer>> sizes = new ArrayList<>();
      for (String room : sorted) {
        sizes.add(presence(room).compose(AsyncMap::size));
      }
      return Future.all(sizes).map(all -> {
        Map<String, Integer> rooms = new TreeMap<>();
        for (int i = 0; i < sorted.size(); i++) {
          if (sizes.get(i).result() > 0) {
            rooms.put(sorted.get(i), sizes.get(i).result());
          }
        }
        return rooms;
      });
    });
  }

  /**
   * Removes the entries of a node that left the cluster; the result lists those this call
   * removed, as {@code {room, nickname}}.
   */
  Future<List<JsonObject>> exitNode(String node) {
    return roomIndex.compose(AsyncMap::keys).compose(names -> {
      List<Future<List<JsonObject>>> perRoom = new ArrayList<>();
      for (String room : new TreeSet<>(names)) {
        perRoom.add(presence(room).compose(map -> map.entries().compose(entries -> {
          List<Future<JsonObject>> removals = new ArrayList<>();
          entries.forEach((nickname, entry) -> {
            if (node.equals(entry.getString("node"))) {
              JsonObject gone = new JsonObject().put("room", room).put("nickname", nickname);
              removals.add(map.removeIfPresent(nickname, entry).map(removed -> removed ? gone : null));
            }
          });
          return Future.join(removals).transform(ignored -> Future.succeededFuture(
            removals.stream().filter(Future::succeeded).map(Future::result).filter(Objects::nonNull).toList()));
        })));
      }
      return Future.join(perRoom).transform(ignored -> Future.succeededFuture(
        perRoom.stream().filter(Future::succeeded).flatMap(f -> f.result().stream()).toList()));
    });
  }

  // ---- room index and expiry

  /**
   * Marks a room active now in {@code chat.rooms}: on every join and leave, and for messages at
   * most every {@link #touchEvery} per room and instance.
   */
  Future<Void> touch(String room) {
    long now = System.currentTimeMillis();
    touched.put(room, now);
    return roomIndex.compose(map -> map.put(room, now));
  }

  /** Like {@link #touch}, unless this instance did so less than {@code touchEvery} ago. */
  Future<Void> touchSometimes(String room) {
    Long last = touched.get(room);
    if (last != null && System.currentTimeMillis() - last < touchEveryMillis) {
      return Future.succeededFuture();
    }
    return touch(room);
  }

  /**
   * Drops the rooms idle for {@code roomTtl}: no members and no activity (join, leave, message)
   * for that long. Their history goes and they leave the room index; their sequence counter stays,
   * so a room created again under the same name never hands out a number a client still holds
   * as its {@code since}. Safe to run on every node at once; the result names the rooms this call
   * dropped.
   */
  Future<List<String>> sweep(long roomTtlMillis) {
    long cutoff = System.currentTimeMillis() - roomTtlMillis;
    return roomIndex.compose(index -> index.entries().compose(entries -> {
      List<Future<String>> drops = new ArrayList<>();
      entries.forEach((room, active) -> {
        if (active != null && active < cutoff) {
          drops.add(dropIfIdle(index, room, active));
        }
      });
      return Future.join(drops).transform(ignored -> Future.succeededFuture(
        drops.stream().filter(Future::succeeded).map(Future::result).filter(Objects::nonNull).toList()));
    }));
  }

  private Future<String> dropIfIdle(AsyncMap<String, Long> index, String room, long active) {
    return presence(room).compose(AsyncMap::size).compose(members -> {
      if (members > 0) {
        return Future.succeededFuture((String) null);
      }
      // Only if nobody touched the room since it was read: a join puts a newer time first.
      return index.removeIfPresent(room, active).compose(removed -> {
        if (!removed) {
          return Future.succeededFuture((String) null);
        }
        touched.remove(room);
        return lastSeq(room).compose(last -> {
          List<Future<JsonObject>> removals = new ArrayList<>();
          for (long seq = Math.max(1, last - historySize + 1); seq <= last && historySize > 0; seq++) {
            long s = seq;
            removals.add(history.compose(map -> map.remove(key(room, s))));
          }
          return Future.join(removals).map(room);
        });
      });
    });
  }

  private Future<AsyncMap<String, JsonObject>> presence(String room) {
    Future<AsyncMap<String, JsonObject>> map = presenceMaps.get(room);
    if (map == null || map.failed()) {
      map = data.getAsyncMap(PRESENCE_PREFIX + room);
      presenceMaps.put(room, map);
    }
    return map;
  }

  private static JsonObject presenceEntry(String node, String connection, String session) {
    JsonObject entry = new JsonObject().put("node", node).put("connection", connection);
    return session == null ? entry : entry.put("session", session);
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
      counter = vertx.executeBlocking(() -> data.getCounter(SEQUENCE_PREFIX + room), false).compose(opening -> opening);
      counters.put(room, counter);
    }
    return counter;
  }

  private static String key(String room, long seq) {
    return room + "#" + seq;
  }

  private static String clientKey(String room, String nickname, String clientId) {
    return room + "#" + nickname + "#" + clientId;
  }
}
