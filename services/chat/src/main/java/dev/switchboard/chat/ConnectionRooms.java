package dev.switchboard.chat;

import dev.switchboard.chat.ChatProtocol.Join;
import dev.switchboard.chat.ChatProtocol.Leave;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rooms one connection is in: each a {@link Membership}, held only from its first join. Joins
 * (nickname unique in the room, the token's scope, {@code maxRooms}), leaves, and the room a
 * command is for. A member is in the room's presence (cluster-wide) before it is in this
 * instance's view of the room, and its history is replayed before live messages reach it.
 */
final class ConnectionRooms {

  private final ChatConnection connection;
  private final ChatVerticle chat;
  private final ChatOptions options;
  /** The rooms the connection is in, by name, in the order it joined them; null while it is in none. */
  private Map<String, Membership> memberships;

  ConnectionRooms(ChatConnection connection, ChatVerticle chat, ChatOptions options) {
    this.connection = connection;
    this.chat = chat;
    this.options = options;
  }

  Membership membership(String name) {
    return memberships == null ? null : memberships.get(name);
  }

  int count() {
    return memberships == null ? 0 : memberships.size();
  }

  /** {@code caller} is who the token says the client is; null with {@code auth} off. */
  Future<?> join(Join asked, Caller caller) {
    Join join = asked;
    String about = asked.add() ? asked.room() : null;
    if (caller != null) {
      // The token names the client: no other nickname, and a restricted room only with its scope.
      if (asked.nickname() != null && !asked.nickname().equals(caller.nickname())) {
        connection.sendError(ChatProtocol.FORBIDDEN, "your token says you are '" + caller.nickname()
          + "': join without a nickname, or with that one", null, about);
        return Future.succeededFuture();
      }
      String scope = options.scopeFor(asked.room());
      if (!caller.mayJoin(scope)) {
        connection.sendError(ChatProtocol.FORBIDDEN, "room '" + asked.room() + "' needs scope " + scope + " or " + ChatOptions.ALL_ROOMS_SCOPE,
          null, about);
        return Future.succeededFuture();
      }
      join = new Join(asked.room(), caller.nickname(), asked.since(), asked.session(), asked.add());
    }
    if (join.add() && membership(join.room()) == null && count() >= options.maxRooms()) {
      connection.sendError(ChatProtocol.TOO_MANY_ROOMS, "this connection is in " + count()
        + " rooms, the most it may be in (maxRooms); leave one first", null, about);
      return Future.succeededFuture();
    }
    return enterRoom(join, about);
  }

  /**
   * Without {@code add}, leaves every room first (a client of one room at a time switches rooms
   * so); with it, leaves only this room if it is in it already (joining again starts it over).
   */
  private Future<?> enterRoom(Join join, String about) {
    PresenceStore store = chat.store().presence();
    String key = connection.key();
    return (join.add() ? leaveRoom(join.room(), "left") : leaveAll("left"))
      .compose(v -> store.enter(chat.nodeId(), key, join.room(), join.nickname(), join.session()))
      .<Object>compose(entered -> {
        if (entered.tookOver() != null) {
          chat.takenOver(entered.tookOver(), join.room(), join.nickname());
        }
        if (!entered.in()) {
          connection.sendError(ChatProtocol.NICKNAME_TAKEN, "nickname '" + join.nickname() + "' is already in room '" + join.room() + "'",
            null, about);
          return Future.succeededFuture();
        }
        if (connection.isReleased()) {
          return store.exit(chat.nodeId(), key, join.room(), join.nickname(), join.session()).mapEmpty();
        }
        return chat.room(join.room())
          .onFailure(e -> store.exit(chat.nodeId(), key, join.room(), join.nickname(), join.session()))
          .compose(joinedRoom -> enter(joinedRoom, join).mapEmpty());
      });
  }

  /** In the room's presence already: the joined and presence events, the history, then live messages. */
  private Future<?> enter(Room joinedRoom, Join join) {
    ChatStore store = chat.store();
    if (connection.isReleased()) {
      chat.release(joinedRoom, null); // unsubscribes the view if nobody else is in it
      return store.presence().exit(chat.nodeId(), connection.key(), join.room(), join.nickname(), join.session()).mapEmpty();
    }
    Membership member = new Membership(connection, joinedRoom, join.nickname(), join.session());
    if (memberships == null) {
      memberships = new LinkedHashMap<>(4);
    }
    memberships.put(joinedRoom.name, member);
    joinedRoom.add(member);
    long last = joinedRoom.nextSeq() - 1;
    long from = join.since() == null ? Math.max(0, last - options.historySize()) : Math.min(join.since(), last);
    boolean truncated = join.since() != null && join.since() < last - options.historySize();
    long now = System.currentTimeMillis();
    return store.presence().members(joinedRoom.name)
      .compose(members -> {
        connection.send(ChatProtocol.joined(joinedRoom.name, member.nickname, now).put("self", true).put("seq", last)
          .put("truncated", truncated).encode());
        connection.send(ChatProtocol.presence(joinedRoom.name, members).encode());
        chat.publish(joinedRoom.name, ChatProtocol.joined(joinedRoom.name, member.nickname, now), connection.key());
        return store.sequences().messages(joinedRoom.name, from, last);
      })
      .map(replay -> {
        if (membership(joinedRoom.name) != member) {
          return null;
        }
        for (JsonObject message : replay) {
          member.replayed(message.getLong("seq"));
          connection.send(message.encode());
        }
        member.endReplay(last);
        return null;
      })
      .onFailure(e -> member.endReplay());
  }

  /** {@code leave} with a room leaves it; without, every room the connection is in. Each is answered {@code left} with {@code self}. */
  Future<?> leave(Leave leave) {
    if (leave.room() != null && membership(leave.room()) == null) {
      connection.sendError(ChatProtocol.NOT_JOINED, "not in room '" + leave.room() + "'", null, leave.room());
      return Future.succeededFuture();
    }
    if (count() == 0) {
      connection.sendError(ChatProtocol.NOT_JOINED, "not in a room");
      return Future.succeededFuture();
    }
    List<Membership> leaving = leave.room() != null ? List.of(membership(leave.room())) : List.copyOf(memberships.values());
    return Future.all(leaving.stream().map(in -> leaveRoom(in.room.name, "left")
      .onSuccess(v -> connection.send(ChatProtocol.left(in.room.name, in.nickname, System.currentTimeMillis(), "left").put("self", true).encode())))
      .toList());
  }

  /** Leaves every room the connection is in. */
  Future<Void> leaveAll(String reason) {
    if (memberships == null) {
      return Future.succeededFuture();
    }
    return Future.all(List.copyOf(memberships.keySet()).stream().map(name -> leaveRoom(name, reason)).toList()).mapEmpty();
  }

  /** Leaves a room, if the connection is in it, and tells its other members why. */
  private Future<Void> leaveRoom(String name, String reason) {
    Membership leaving = memberships == null ? null : memberships.remove(name);
    if (leaving == null) {
      return Future.succeededFuture();
    }
    if (memberships.isEmpty()) {
      memberships = null;
    }
    leaving.stop();
    chat.release(leaving.room, leaving);
    if (chat.leavesPresenceToCluster()) {
      return Future.succeededFuture();
    }
    String key = connection.key();
    return chat.store().presence().exit(chat.nodeId(), key, name, leaving.nickname, leaving.session).map(removed -> {
      if (removed) {
        chat.publish(name, ChatProtocol.left(name, leaving.nickname, System.currentTimeMillis(), reason), key);
      }
      return null;
    });
  }

  /**
   * The room a {@code message} or {@code typing} is for: the one it names, else the connection's
   * only room. Null, after an error to the client, when it names a room the connection is not in,
   * names none while the connection is in several, or the connection is in none.
   */
  Membership target(String named, String clientId, String what) {
    if (named != null) {
      Membership in = membership(named);
      if (in == null) {
        connection.sendError(ChatProtocol.NOT_JOINED, "not in room '" + named + "'; join it before " + what, clientId, named);
      }
      return in;
    }
    if (count() == 1) {
      return memberships.values().iterator().next();
    }
    if (count() == 0) {
      connection.sendError(ChatProtocol.NOT_JOINED, "join a room before " + what, clientId);
    } else {
      connection.sendError(ChatProtocol.INVALID_FIELD, "'room' is needed: this connection is in " + count() + " rooms", clientId);
    }
    return null;
  }
}
