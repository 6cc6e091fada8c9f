package dev.switchboard.chat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.shareddata.Counter;
import io.vertx.core.shareddata.SharedData;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The chat's cluster-wide state, kept in Vert.x shared data: local maps when Vert.x runs alone,
 * Hazelcast maps (one synchronous backup each) when it is clustered, so that every entry survives
 * the loss of any one node.
 * <ul>
 *   <li>{@code chat.seq.<room>}: a counter per room, the only source of sequence numbers;</li>
 *   <li>{@code chat.history}: {@code <room>#<seq>} to the message event, the last {@code historySize} per room;</li>
 *   <li>{@code chat.presence}: {@code <node>/<connection>} to {@code {room, nickname, node}};</li>
 *   <li>{@code chat.clientIds}: {@code <room>#<nickname>#<clientId>} to the sequence number given
 *       (0 while it is being given), for {@code dedupeTtl}.</li>
 * </ul>
 */
final class ChatStore {

  static final String HISTORY = "chat.history";
  static final String PRESENCE = "chat.presence";
  static final String CLIENT_IDS = "chat.clientIds";
  static final String SEQUENCE_PREFIX = "chat.seq.";
  /** Counters kept open per verticle instance; a Hazelcast counter costs a blocking call to open. */
  private static final int OPEN_COUNTERS = 1024;

  private final SharedData data;
  private final int historySize;
  private final long dedupeTtlMillis;
  private final Future<AsyncMap<String, JsonObject>> history;
  private final Future<AsyncMap<String, JsonObject>> presence;
  private final Future<AsyncMap<String, Long>> clientIds;
  private final Map<String, Future<Counter>> counters = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Future<Counter>> eldest) {
      return size() > OPEN_COUNTERS;
    }
  };

  ChatStore(Vertx vertx, int historySize, long dedupeTtlMillis) {
    this.data = vertx.sharedData();
    this.historySize = historySize;
    this.dedupeTtlMillis = dedupeTtlMillis;
    this.history = data.getAsyncMap(HISTORY);
    this.presence = data.getAsyncMap(PRESENCE);
    this.clientIds = data.getAsyncMap(CLIENT_IDS);
  }

  Future<?> ready() {
    return Future.all(history, presence, clientIds);
  }

  // ---- sequence and history

  Future<Long> nextSeq(String room) {
    return counter(room).compose(Counter::incrementAndGet);
  }

  Future<Long> lastSeq(String room) {
    return counter(room).compose(Counter::get);
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

  /** Claims a client id; the result is null when it is new, else the sequence number given to it (0: still being given). */
  Future<Long> claim(String room, String nickname, String clientId) {
    return clientIds.compose(map -> map.putIfAbsent(clientKey(room, nickname, clientId), 0L, dedupeTtlMillis));
  }

  /** The sequence number a client id got: null if unknown, 0 while it is being numbered. */
  Future<Long> numberOf(String room, String nickname, String clientId) {
    return clientIds.compose(map -> map.get(clientKey(room, nickname, clientId)));
  }

  Future<Void> claimed(String room, String nickname, String clientId, long seq) {
    return clientIds.compose(map -> map.put(clientKey(room, nickname, clientId), seq, dedupeTtlMillis));
  }

  Future<Void> release(String room, String nickname, String clientId) {
    return clientIds.compose(map -> map.remove(clientKey(room, nickname, clientId))).mapEmpty();
  }

  // ---- presence

  Future<Void> enter(String node, String connection, String room, String nickname) {
    return presence.compose(map -> map.put(node + "/" + connection,
      new JsonObject().put("room", room).put("nickname", nickname).put("node", node)));
  }

  /** Removes an entry; the result is the entry, or null if someone else removed it first. */
  Future<JsonObject> exit(String node, String connection) {
    return presence.compose(map -> map.remove(node + "/" + connection));
  }

  /** The nicknames in a room, sorted. */
  Future<List<String>> members(String room) {
    return presence.compose(AsyncMap::values).map(values -> values.stream()
      .filter(entry -> room.equals(entry.getString("room")))
      .map(entry -> entry.getString("nickname"))
      .sorted()
      .toList());
  }

  /** Room name to member count, for every room with members. */
  Future<Map<String, Integer>> rooms() {
    return presence.compose(AsyncMap::values).map(values -> {
      Map<String, Integer> rooms = new TreeMap<>();
      values.forEach(entry -> rooms.merge(entry.getString("room"), 1, Integer::sum));
      return rooms;
    });
  }

  /** Removes the entries of a node that left the cluster; the result lists those this call removed. */
  Future<List<JsonObject>> exitNode(String node) {
    return presence.compose(map -> map.keys().compose(keys -> {
      List<Future<JsonObject>> removals = new ArrayList<>();
      for (String key : new TreeSet<>(keys)) {
        if (key.startsWith(node + "/")) {
          removals.add(map.remove(key));
        }
      }
      return Future.join(removals).transform(ignored -> Future.succeededFuture(
        removals.stream().filter(Future::succeeded).map(Future::result).filter(Objects::nonNull).toList()));
    }));
  }

  private Future<Counter> counter(String room) {
    Future<Counter> counter = counters.get(room);
    if (counter == null || counter.failed()) {
      counter = data.getCounter(SEQUENCE_PREFIX + room);
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
