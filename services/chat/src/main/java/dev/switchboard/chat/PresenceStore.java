package dev.switchboard.chat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.shareddata.SharedData;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Part of the {@link ChatStore}: who is in which room ({@code chat.presence.<room>}, one map per
 * room, nickname to {@code {node, connection}}) and the room index ({@code chat.roomIndex}, room
 * to the time it was last active), with the expiry of idle rooms.
 */
final class PresenceStore {

  private final SharedData data;
  private final SequenceStore sequences;
  private final long touchEveryMillis;
  private final Future<AsyncMap<String, Long>> roomIndex;
  /** When this instance last marked a room active. */
  private final Map<String, Long> touched = ChatStore.lru();
  private final Map<String, Future<AsyncMap<String, JsonObject>>> presenceMaps = ChatStore.lru();

  PresenceStore(Vertx vertx, SequenceStore sequences, long touchEveryMillis) {
    this.data = vertx.sharedData();
    this.sequences = sequences;
    this.touchEveryMillis = touchEveryMillis;
    this.roomIndex = data.getAsyncMap(ChatStore.ROOM_INDEX);
  }

  Future<?> ready() {
    return roomIndex;
  }

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
        return sequences.forget(room).map(room);
      });
    });
  }

  private Future<AsyncMap<String, JsonObject>> presence(String room) {
    Future<AsyncMap<String, JsonObject>> map = presenceMaps.get(room);
    if (map == null || map.failed()) {
      map = data.getAsyncMap(ChatStore.PRESENCE_PREFIX + room);
      presenceMaps.put(room, map);
    }
    return map;
  }

  private static JsonObject presenceEntry(String node, String connection, String session) {
    JsonObject entry = new JsonObject().put("node", node).put("connection", connection);
    return session == null ? entry : entry.put("session", session);
  }}
