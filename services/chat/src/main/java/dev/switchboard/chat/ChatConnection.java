package dev.switchboard.chat;

import dev.switchboard.chat.ChatProtocol.Auth;
import dev.switchboard.chat.ChatProtocol.Binary;
import dev.switchboard.chat.ChatProtocol.Command;
import dev.switchboard.chat.ChatProtocol.Join;
import dev.switchboard.chat.ChatProtocol.Leave;
import dev.switchboard.chat.ChatProtocol.Message;
import dev.switchboard.chat.ChatProtocol.ProtocolError;
import dev.switchboard.chat.ChatProtocol.Typing;
import dev.switchboard.shared.Settings;
import dev.switchboard.shared.auth.TokenRejectedException;
import dev.switchboard.shared.ws.CloseCodes;
import dev.switchboard.shared.ws.WebSocketGuard;
import dev.switchboard.shared.ws.WebSocketGuard.Refusal;
import dev.switchboard.shared.ws.WebSocketLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One WebSocket client: assembles its messages, parses and rate-limits its commands and runs them
 * one after the other, and writes events to it. It is in no room, one, or several (each a
 * {@link Membership}, held only from its first join). Its {@link WebSocketGuard} has checked every frame
 * before it arrives here (size, UTF-8, RFC 6455) and cuts the client off when it stops reading;
 * the connection hears why as the guard's listener. With {@code auth} on it knows who its client
 * is ({@link Caller}) before it runs any command, and ends when the token does. Everything it holds,
 * timers included, is released when the socket closes, however it closes.
 */
final class ChatConnection implements WebSocketGuard.Listener {

  private static final Logger log = LoggerFactory.getLogger(ChatConnection.class);

  /** A resend that arrives while its first copy is being numbered waits this long, this many times, for the number. */
  static final long DUPLICATE_POLL_MILLIS = 50;
  static final int DUPLICATE_POLLS = 40;

  /** Live messages held for a member while its history is being replayed; more means it cannot keep up. */
  static final int MAX_HELD_WHILE_REPLAYING = 10_000;

  private record Held(long seq, String text) {
  }

  /** The close reason for a connection whose first message is not its token. */
  static final String AUTH_FIRST = ChatProtocol.UNAUTHORIZED_PREFIX + "send {\"type\":\"auth\",\"token\":\"<JWT>\"} first";

  /** The close reason of a connection whose session another connection took over. */
  static final String SESSION_TAKEN_REASON = "session taken over by another connection";

  /** Outbound bytes gathered for one flush beyond which they are handed to the socket at once. */
  static final int MAX_GATHERED_BYTES = 64 * 1024;

  /**
   * A whole unmasked WebSocket text frame (RFC 6455 section 5.2: FIN, opcode 1, length, payload),
   * made once and copied into any number of connections' outbound bytes; released by the caller.
   * A server's frames are never masked, so the bytes are the same for every receiver.
   */
  static ByteBuf frame(String text) {
    int length = ByteBufUtil.utf8Bytes(text);
    ByteBuf frame = header(0x81, length);
    ByteBufUtil.reserveAndWriteUtf8(frame, text, length);
    return frame;
  }

  /** The same for a whole binary frame (FIN, opcode 2) carrying {@code payload}. */
  static ByteBuf binaryFrame(Buffer payload) {
    ByteBuf frame = header(0x82, payload.length());
    frame.writeBytes(payload.getBytes());
    return frame;
  }

  /** A buffer with room for the frame, its header written: first byte, then the length in its shortest form. */
  private static ByteBuf header(int first, int length) {
    int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
    ByteBuf frame = ByteBufAllocator.DEFAULT.buffer(header + length);
    frame.writeByte(first);
    if (length < 126) {
      frame.writeByte(length);
    } else if (length <= 0xFFFF) {
      frame.writeByte(126).writeShort(length);
    } else {
      frame.writeByte(127).writeLong(length);
    }
    return frame;
  }

  /** Unique in this process; the cluster-wide {@link #key()} is made from it on the first join only. */
  private final long serial;
  private String key;
  private final ChatVerticle chat;
  private final ChatOptions options;
  private final ServerWebSocket ws;
  private WebSocketGuard guard;

  private Buffer assembling;
  private boolean assemblingBinary;
  private long lastInbound;
  private double tokens;
  private long refilledAt;
  private int strikes;
  /** Commands run one at a time, in the order they arrived. */
  private Future<?> commands = Future.succeededFuture();

  /** Who the client is, with {@code auth} on, once its token is checked; always null with {@code auth} off. */
  private Caller caller;
  /** With {@code auth} on and no token in the upgrade: its first message, which must be {@code auth}, has not come. */
  private boolean awaitingAuth;
  /** Closes a connection that has not shown a token within {@code authTimeout}; -1 when not running. */
  private long authTimer = -1;
  /** Closes the connection when its token expires; -1 when not running. */
  private long expiryTimer = -1;

  /** The rooms the connection is in, by name, in the order it joined them; null while it is in none. */
  private Map<String, Membership> memberships;

  /**
   * Frames written since the last flush, as bytes: one buffer per connection and flush rather than
   * one object per frame, so a burst queued for a thousand members is not millions of live objects
   * for the garbage collector to copy. Null while nothing waits, which is most of the time.
   */
  private ByteBuf gathered;
  private boolean closing;
  private boolean released;
  private String leaveReason = "disconnected";

  /** {@code caller} is who the upgrade's token proved the client is, or null (no token in the upgrade, or {@code auth} off). */
  ChatConnection(ChatVerticle chat, long serial, ChatOptions options, ServerWebSocket ws, Caller caller) {
    this.serial = serial;
    this.caller = caller;
    this.chat = chat;
    this.options = options;
    this.ws = ws;
    this.lastInbound = System.nanoTime();
    this.tokens = options.rateBurst();
    this.refilledAt = lastInbound;
  }

  /** This connection across the cluster: {@code <node>/<serial>}; the {@code from} of the events it publishes. */
  String key() {
    if (key == null) {
      key = chat.nodeId() + "/" + serial;
    }
    return key;
  }

  /** Unique among the connections of this process. */
  long serial() {
    return serial;
  }

  /**
   * A newer connection with this one's session took its nickname in one of its rooms (see
   * {@link ChatStore#enter}): this one is told and closed. It leaves that room without a
   * {@code left}, as the nickname is still in it; its other rooms, if any, see it leave.
   */
  void takenOver(String roomName, String nick) {
    Membership in = membership(roomName);
    if (in == null || !nick.equals(in.nickname) || closing) {
      return; // it has moved on already
    }
    sendError(ChatProtocol.SESSION_TAKEN, "another connection with this session joined room '" + roomName + "' as '" + nick
      + "'; this one is closed");
    close(CloseCodes.NORMAL, SESSION_TAKEN_REASON, "session taken");
  }

  /** Puts the guard in front of the connection and starts reading; on the connection's event loop, right after the upgrade. */
  void start(WebSocketLimits limits) {
    guard = WebSocketGuard.install(ws, limits, this);
    ws.setWriteQueueMaxSize(options.writeQueueMax());
    ws.frameHandler(this::onFrame);
    ws.exceptionHandler(e -> log.debug("connection {} from {} failed: {}", serial, ws.remoteAddress(), e.getMessage()));
    ws.closeHandler(v -> release());
    if (caller != null) {
      identified(caller);
    } else if (options.auth()) {
      awaitingAuth = true;
      authTimer = chat.setTimer(options.authTimeout().toMillis(), id -> {
        authTimer = -1;
        if (caller == null) {
          close(CloseCodes.POLICY_VIOLATION, ChatProtocol.UNAUTHORIZED_PREFIX + "no token within " + Settings.format(options.authTimeout()),
            "unauthorized");
        }
      });
    }
  }

  // ---- inbound

  private void onFrame(WebSocketFrame frame) {
    lastInbound = System.nanoTime();
    if (closing) {
      return;
    }
    switch (frame.type()) {
      case TEXT, BINARY -> {
        assembling = Buffer.buffer().appendBuffer(frame.binaryData());
        assemblingBinary = frame.isBinary();
      }
      case CONTINUATION -> {
        if (assembling == null) {
          return;
        }
        assembling.appendBuffer(frame.binaryData());
      }
      default -> {
        return;
      }
    }
    if (!frame.isFinal()) {
      return;
    }
    Buffer message = assembling;
    assembling = null;
    if (assemblingBinary) {
      if (awaitingAuth) {
        close(CloseCodes.POLICY_VIOLATION, AUTH_FIRST, "unauthorized");
      } else if (allowed()) {
        try {
          Binary binary = ChatBinary.parse(message, options.maxBinarySize());
          commands = commands.transform(previous -> run(binary));
        } catch (ProtocolError e) {
          sendError(e.code, e.getMessage());
        }
      }
      return;
    }
    String text = message.toString(StandardCharsets.UTF_8); // the guard has checked it is UTF-8, and its size
    if (!allowed()) {
      return;
    }
    Command command;
    try {
      command = ChatProtocol.parse(text, options.maxTextLength(), options.auth());
    } catch (ProtocolError e) {
      if (awaitingAuth) {
        close(CloseCodes.POLICY_VIOLATION, AUTH_FIRST, "unauthorized");
      } else {
        sendError(e.code, e.getMessage());
      }
      return;
    }
    if (awaitingAuth) {
      awaitingAuth = false;
      if (!(command instanceof Auth)) {
        close(CloseCodes.POLICY_VIOLATION, AUTH_FIRST, "unauthorized");
        return;
      }
    }
    commands = commands.transform(previous -> run(command));
  }

  /** Token bucket: refills at {@code rateLimit} per second up to {@code rateBurst}. */
  private boolean allowed() {
    long now = System.nanoTime();
    tokens = Math.min(options.rateBurst(), tokens + (now - refilledAt) * options.rateLimit() / 1e9);
    refilledAt = now;
    if (tokens >= 1) {
      tokens -= 1;
      strikes = 0;
      return true;
    }
    if (++strikes >= options.rateStrikes()) {
      close(CloseCodes.POLICY_VIOLATION, "rate limit exceeded", "rate limit");
    } else {
      sendError(ChatProtocol.RATE_LIMITED, "more than " + options.rateLimit() + " frames per second; frame dropped ("
        + strikes + " of " + options.rateStrikes() + " before the connection is closed)");
    }
    return false;
  }

  private Future<?> run(Command command) {
    if (released || options.auth() && caller == null && !(command instanceof Auth)) {
      // Without a caller a command runs only behind a token that was refused: the connection is closing.
      return Future.succeededFuture();
    }
    Future<?> done;
    if (command instanceof Auth auth) {
      done = authenticate(auth);
    } else if (command instanceof Join join) {
      done = join(join);
    } else if (command instanceof Message message) {
      done = message(message);
    } else if (command instanceof Leave leave) {
      done = leave(leave);
    } else if (command instanceof Binary binary) {
      done = binary(binary);
    } else {
      done = typing((Typing) command);
    }
    // Bounded: while the cluster retries (a member gone, partitions moving), the client hears
    // within commandTimeout and its next commands are not held behind this one.
    Promise<Void> settled = Promise.promise();
    long timeout = options.commandTimeout().toMillis();
    String clientId = command instanceof Message message ? message.clientId() : null;
    String about = namedRoom(command);
    long timer = chat.setTimer(timeout, t -> {
      if (settled.tryComplete()) {
        log.debug("connection {}: {} not done after {} ms", serial, command, timeout);
        sendError(ChatProtocol.UNAVAILABLE, "the chat did not finish that within " + timeout + " ms; try again"
          + (command instanceof Message ? " (a resend with the same clientId is never posted twice)" : ""), clientId, about);
      }
    });
    done.onComplete(result -> {
      chat.cancelTimer(timer);
      if (settled.tryComplete() && result.failed()) {
        log.debug("connection {}: {} failed: {}", serial, command, result.cause().toString());
        sendError(ChatProtocol.UNAVAILABLE, "the chat could not do that just now; try again", clientId, about);
      }
    });
    return settled.future();
  }

  /**
   * The room a command names in the form for several rooms ({@code join} with {@code add}, or a
   * {@code room} field), which its errors and acks name too; null for the one-room form, whose
   * answers stay as they were.
   */
  private static String namedRoom(Command command) {
    if (command instanceof Join join) {
      return join.add() ? join.room() : null;
    } else if (command instanceof Message message) {
      return message.room();
    } else if (command instanceof Leave leave) {
      return leave.room();
    } else if (command instanceof Typing typing) {
      return typing.room();
    } else if (command instanceof Binary binary) {
      return binary.room();
    }
    return null;
  }

  // ---- commands

  /**
   * A token: the connection's first (a refused one closes it with 1008), or a fresh one for the same
   * nickname that moves the connection's end to its expiry (a refused one is an error; the current
   * token stands).
   */
  private Future<?> authenticate(Auth auth) {
    if (!options.auth()) {
      sendError(ChatProtocol.UNKNOWN_TYPE, "this server does not check tokens: join with a nickname, without 'auth'");
      return Future.succeededFuture();
    }
    boolean first = caller == null;
    return chat.identify(auth.token()).transform(checked -> {
      if (released || closing) {
        return Future.succeededFuture();
      }
      if (checked.failed()) {
        String reason = checked.cause() instanceof TokenRejectedException ? checked.cause().getMessage() : "token not checked";
        log.debug("connection {} from {}: token refused: {}", serial, ws.remoteAddress(), reason);
        if (first) {
          close(CloseCodes.POLICY_VIOLATION, ChatProtocol.UNAUTHORIZED_PREFIX + reason, "unauthorized");
        } else {
          sendError(ChatProtocol.UNAUTHORIZED, reason + "; the connection keeps its current token");
        }
      } else if (!first && !checked.result().nickname().equals(caller.nickname())) {
        sendError(ChatProtocol.FORBIDDEN, "a fresh token must be for '" + caller.nickname() + "'; this one is for '"
          + checked.result().nickname() + "'");
      } else {
        identified(checked.result());
      }
      return Future.succeededFuture();
    });
  }

  /** The client is {@code who} until its token expires (plus the verifier's clock skew): then it is closed with 1008. */
  private void identified(Caller who) {
    caller = who;
    if (authTimer >= 0) {
      chat.cancelTimer(authTimer);
      authTimer = -1;
    }
    if (expiryTimer >= 0) {
      chat.cancelTimer(expiryTimer);
    }
    long left = who.endsAtMillis(chat.clockSkewMillis()) - System.currentTimeMillis();
    expiryTimer = chat.setTimer(Math.max(1, left), id -> {
      expiryTimer = -1;
      close(CloseCodes.POLICY_VIOLATION, ChatProtocol.UNAUTHORIZED_PREFIX + "token expired", "token expired");
    });
    send(ChatProtocol.authenticated(who.nickname(), who.expires().toEpochMilli(), who.scopes()).encode());
  }

  private Future<?> join(Join asked) {
    Join join = asked;
    String about = asked.add() ? asked.room() : null;
    if (caller != null) {
      // The token names the client: no other nickname, and a restricted room only with its scope.
      if (asked.nickname() != null && !asked.nickname().equals(caller.nickname())) {
        sendError(ChatProtocol.FORBIDDEN, "your token says you are '" + caller.nickname() + "': join without a nickname, or with that one",
          null, about);
        return Future.succeededFuture();
      }
      String scope = options.scopeFor(asked.room());
      if (!caller.mayJoin(scope)) {
        sendError(ChatProtocol.FORBIDDEN, "room '" + asked.room() + "' needs scope " + scope + " or " + ChatOptions.ALL_ROOMS_SCOPE,
          null, about);
        return Future.succeededFuture();
      }
      join = new Join(asked.room(), caller.nickname(), asked.since(), asked.session(), asked.add());
    }
    if (join.add() && membership(join.room()) == null && roomCount() >= options.maxRooms()) {
      sendError(ChatProtocol.TOO_MANY_ROOMS, "this connection is in " + roomCount() + " rooms, the most it may be in (maxRooms); leave one first",
        null, about);
      return Future.succeededFuture();
    }
    return enterRoom(join, about);
  }

  /**
   * Without {@code add}, leaves every room first (a client of one room at a time switches rooms
   * so); with it, leaves only this room if it is in it already (joining again starts it over).
   */
  private Future<?> enterRoom(Join join, String about) {
    ChatStore store = chat.store();
    return (join.add() ? leaveRoom(join.room(), "left") : leaveRooms("left"))
      .compose(v -> store.enter(chat.nodeId(), key(), join.room(), join.nickname(), join.session()))
      .<Object>compose(entered -> {
        if (entered.tookOver() != null) {
          chat.takenOver(entered.tookOver(), join.room(), join.nickname());
        }
        if (!entered.in()) {
          sendError(ChatProtocol.NICKNAME_TAKEN, "nickname '" + join.nickname() + "' is already in room '" + join.room() + "'", null, about);
          return Future.succeededFuture();
        }
        if (released) {
          return store.exit(chat.nodeId(), key(), join.room(), join.nickname(), join.session()).mapEmpty();
        }
        return chat.room(join.room())
          .onFailure(e -> store.exit(chat.nodeId(), key(), join.room(), join.nickname(), join.session()))
          .compose(joinedRoom -> enter(joinedRoom, join).mapEmpty());
      });
  }

  /** In the room's presence already: the joined and presence events, the history, then live messages. */
  private Future<?> enter(Room joinedRoom, Join join) {
    ChatStore store = chat.store();
    if (released) {
      chat.release(joinedRoom, null); // unsubscribes the view if nobody else is in it
      return store.exit(chat.nodeId(), key(), join.room(), join.nickname(), join.session()).mapEmpty();
    }
    Membership member = new Membership(joinedRoom, join.nickname(), join.session());
    if (memberships == null) {
      memberships = new LinkedHashMap<>(4);
    }
    memberships.put(joinedRoom.name, member);
    joinedRoom.add(member);
    long last = joinedRoom.nextSeq() - 1;
    long from = join.since() == null ? Math.max(0, last - options.historySize()) : Math.min(join.since(), last);
    boolean truncated = join.since() != null && join.since() < last - options.historySize();
    long now = System.currentTimeMillis();
    return store.members(joinedRoom.name)
      .compose(members -> {
        send(ChatProtocol.joined(joinedRoom.name, member.nickname, now).put("self", true).put("seq", last).put("truncated", truncated).encode());
        send(ChatProtocol.presence(joinedRoom.name, members).encode());
        chat.publish(joinedRoom.name, ChatProtocol.joined(joinedRoom.name, member.nickname, now), key());
        return store.messages(joinedRoom.name, from, last);
      })
      .map(replay -> {
        if (membership(joinedRoom.name) != member) {
          return null;
        }
        for (JsonObject message : replay) {
          member.lastSent = message.getLong("seq");
          send(message.encode());
        }
        member.lastSent = Math.max(member.lastSent, last);
        member.endReplay();
        return null;
      })
      .onFailure(e -> member.endReplay());
  }

  /** {@code leave} with a room leaves it; without, every room the connection is in. Each is answered {@code left} with {@code self}. */
  private Future<?> leave(Leave leave) {
    if (leave.room() != null && membership(leave.room()) == null) {
      sendError(ChatProtocol.NOT_JOINED, "not in room '" + leave.room() + "'", null, leave.room());
      return Future.succeededFuture();
    }
    if (roomCount() == 0) {
      sendError(ChatProtocol.NOT_JOINED, "not in a room");
      return Future.succeededFuture();
    }
    List<Membership> leaving = leave.room() != null ? List.of(membership(leave.room())) : List.copyOf(memberships.values());
    return Future.all(leaving.stream().map(in -> leaveRoom(in.room.name, "left")
      .onSuccess(v -> send(ChatProtocol.left(in.room.name, in.nickname, System.currentTimeMillis(), "left").put("self", true).encode())))
      .toList());
  }

  /** Leaves every room the connection is in. */
  private Future<Void> leaveRooms(String reason) {
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
    return chat.store().exit(chat.nodeId(), key(), name, leaving.nickname, leaving.session).map(removed -> {
      if (removed) {
        chat.publish(name, ChatProtocol.left(name, leaving.nickname, System.currentTimeMillis(), reason), key());
      }
      return null;
    });
  }

  private Membership membership(String name) {
    return memberships == null ? null : memberships.get(name);
  }

  private int roomCount() {
    return memberships == null ? 0 : memberships.size();
  }

  /**
   * The room a {@code message} or {@code typing} is for: the one it names, else the connection's
   * only room. Null, after an error to the client, when it names a room the connection is not in,
   * names none while the connection is in several, or the connection is in none.
   */
  private Membership target(String named, String clientId, String what) {
    if (named != null) {
      Membership in = membership(named);
      if (in == null) {
        sendError(ChatProtocol.NOT_JOINED, "not in room '" + named + "'; join it before " + what, clientId, named);
      }
      return in;
    }
    if (roomCount() == 1) {
      return memberships.values().iterator().next();
    }
    if (roomCount() == 0) {
      sendError(ChatProtocol.NOT_JOINED, "join a room before " + what, clientId);
    } else {
      sendError(ChatProtocol.INVALID_FIELD, "'room' is needed: this connection is in " + roomCount() + " rooms", clientId);
    }
    return null;
  }

  private Future<?> message(Message message) {
    Membership in = target(message.room(), message.clientId(), "sending messages");
    if (in == null) {
      return Future.succeededFuture();
    }
    if (message.clientId() == null) {
      return chat.post(in.room.name, in.nickname, message.text());
    }
    return postOnce(in.room.name, in.nickname, message.text(), message.clientId(), message.room(), true);
  }

  /**
   * Posts a message with a client id unless that id was posted before. A claim whose number never
   * came (its node died) expires after {@code claimTtl}; a resend that sees it vanish while waiting
   * claims the id again, once. A resend whose first copy is still being numbered after the wait
   * is answered {@code unavailable}, so that the client sends it again later: never silence.
   */
  private Future<Void> postOnce(String name, String sender, String text, String clientId, String about, boolean again) {
    ChatStore store = chat.store();
    return store.claim(name, sender, clientId).compose(previous -> {
      if (previous != null) {
        // A resend: acknowledged with the first copy's number, waiting for it if still being given.
        return (previous > 0 ? Future.succeededFuture(previous) : numbered(name, sender, clientId, DUPLICATE_POLLS))
          .compose(seq -> {
            if (seq != null && seq > 0) {
              send(ChatProtocol.ack(clientId, seq, null, true, about).encode());
            } else if (seq == null && again) {
              return postOnce(name, sender, text, clientId, about, false);
            } else {
              sendError(ChatProtocol.UNAVAILABLE, "the message with clientId " + clientId
                + " is still being posted; send it again with the same clientId", clientId, about);
            }
            return Future.<Void>succeededFuture();
          });
      }
      return chat.post(name, sender, text)
        .onFailure(e -> store.release(name, sender, clientId))
        .compose(posted -> store.claimed(name, sender, clientId, posted.getLong("seq"))
          .otherwiseEmpty()
          .onSuccess(v -> send(ChatProtocol.ack(clientId, posted.getLong("seq"), posted.getString("id"), false, about).encode())));
    });
  }

  /** Polls (bounded) for the number the first copy of a resent message gets. */
  private Future<Long> numbered(String room, String sender, String clientId, int polls) {
    return chat.store().numberOf(room, sender, clientId).compose(seq -> {
      if (seq == null || seq > 0 || polls == 0) {
        return Future.succeededFuture(seq);
      }
      return chat.timer(DUPLICATE_POLL_MILLIS).compose(v -> numbered(room, sender, clientId, polls - 1));
    });
  }

  private Future<?> typing(Typing typing) {
    Membership in = target(typing.room(), null, "typing");
    if (in != null) {
      chat.publish(in.room.name, ChatProtocol.typing(in.room.name, in.nickname), key());
    }
    return Future.succeededFuture();
  }

  /** A binary message: relayed to the room's other members, not numbered nor kept (see {@link ChatBinary}). */
  private Future<?> binary(Binary binary) {
    Membership in = target(binary.room(), null, "sending binary messages");
    if (in != null) {
      chat.relay(in.room.name, in.nickname, binary.payload(), key());
    }
    return Future.succeededFuture();
  }

  // ---- outbound

  /**
   * This connection in one room: its nickname and session there, and how far the room's messages
   * have been sent to it. The room holds it as one of its members.
   */
  final class Membership {

    final Room room;
    final String nickname;
    final String session;
    private boolean replaying = true;
    /** Allocated for the length of a replay only: most of the time a member holds nothing. */
    private ArrayDeque<Held> held;
    private long lastSent;

    Membership(Room room, String nickname, String session) {
      this.room = room;
      this.nickname = nickname;
      this.session = session;
    }

    ChatConnection connection() {
      return ChatConnection.this;
    }

    /** A room message, by sequence number: held while history is replayed, never sent twice. */
    void deliver(long seq, String text, ByteBuf frame) {
      if (replaying) {
        if (held == null) {
          held = new ArrayDeque<>();
        }
        held.add(new Held(seq, text));
        if (held.size() > MAX_HELD_WHILE_REPLAYING) {
          cutOff();
        }
        return;
      }
      if (seq <= lastSent) {
        return;
      }
      lastSent = seq;
      send(frame);
    }

    /** An unsequenced event of the room (joined, left, typing). */
    void send(ByteBuf frame) {
      ChatConnection.this.send(frame);
    }

    private void endReplay() {
      replaying = false;
      ArrayDeque<Held> waiting = held;
      held = null;
      while (waiting != null && !waiting.isEmpty()) {
        Held next = waiting.poll();
        if (next.seq() > lastSent) {
          lastSent = next.seq();
          ChatConnection.this.send(next.text());
        }
      }
    }

    /** Left: nothing more is held or sent for it. */
    private void stop() {
      replaying = false;
      held = null;
      lastSent = Long.MAX_VALUE;
    }
  }

  void send(String text) {
    ByteBuf frame = frame(text);
    try {
      send(frame);
    } finally {
      frame.release();
    }
  }

  /**
   * Copies a whole frame (see {@link #frame}, shared with other connections) into this
   * connection's gathered bytes, flushed at the end of this event-loop turn or once they pass
   * {@link #MAX_GATHERED_BYTES}.
   */
  void send(ByteBuf frame) {
    if (closing || ws.isClosed()) {
      return;
    }
    if (gathered == null) {
      gathered = guard.alloc().buffer(Math.max(frame.readableBytes(), 256));
      chat.flushSoon(this);
    }
    gathered.writeBytes(frame, frame.readerIndex(), frame.readableBytes());
    if (gathered.readableBytes() >= MAX_GATHERED_BYTES) {
      flush();
    }
  }

  /**
   * Hands the gathered frames to the socket. Past the write-queue bound even after that, the
   * client is not reading: the guard cuts it off (see {@link #refused}).
   */
  void flush() {
    ByteBuf out = gathered;
    gathered = null;
    if (out == null) {
      return;
    }
    if (guard.write(out)) {
      guard.flush();
    }
  }

  private void sendError(String code, String message) {
    send(ChatProtocol.error(code, message).encode());
  }

  /** An error about a posted message: it names the message's {@code clientId}, when it has one. */
  private void sendError(String code, String message, String clientId) {
    sendError(code, message, clientId, null);
  }

  /** An error about a command that named its room ({@code room} not null): it names the room too. */
  private void sendError(String code, String message, String clientId, String room) {
    JsonObject error = ChatProtocol.error(code, message);
    if (clientId != null) {
      error.put("clientId", clientId);
    }
    send((room == null ? error : error.put("room", room)).encode());
  }

  /**
   * A client that cannot keep up: waiting for a close handshake would only queue more. The guard
   * attempts the close frame and drops the TCP connection at once.
   */
  private void cutOff() {
    if (!closing) {
      guard.cutOff();
    }
  }

  /** The guard is closing the connection: the room hears why, a client too slow is counted. */
  @Override
  public void refused(Refusal refusal) {
    if (closing) {
      return; // a close of our own was under way; its reason stands
    }
    closing = true;
    leaveReason = switch (refusal) {
      case NOT_READING -> "too slow";
      case TOO_MANY_PINGS -> "rate limit";
      case MESSAGE_TOO_BIG -> "message too big";
      case INVALID_UTF8 -> "invalid UTF-8";
      case PROTOCOL_ERROR -> "disconnected";
    };
    if (refusal == Refusal.NOT_READING) {
      log.debug("connection {} from {}: write queue passed {} bytes, cut off", serial, ws.remoteAddress(), options.writeQueueMax());
      chat.cutOff();
    }
  }

  /** A ping from the client, answered by the guard, shows it is alive. */
  @Override
  public void pinged() {
    lastInbound = System.nanoTime();
  }

  /** Called by the heartbeat: pings, or closes a connection silent for longer than the idle timeout. */
  void heartbeat(long now) {
    if (closing || ws.isClosed()) {
      return;
    }
    if (now - lastInbound > options.idleTimeout().toNanos()) {
      close(CloseCodes.GOING_AWAY, "idle timeout", "idle");
    } else {
      ws.writePing(Buffer.buffer());
    }
  }

  void close(short code, String reason, String leave) {
    if (closing) {
      return;
    }
    flush();
    if (closing) {
      return; // the flush found the client not reading: cut off
    }
    closing = true;
    leaveReason = leave;
    ws.close(code, ChatProtocol.closeReason(reason));
  }

  private void release() {
    if (released) {
      return;
    }
    released = true;
    closing = true;
    if (authTimer >= 0) {
      chat.cancelTimer(authTimer);
      authTimer = -1;
    }
    if (expiryTimer >= 0) {
      chat.cancelTimer(expiryTimer);
      expiryTimer = -1;
    }
    if (gathered != null) {
      gathered.release();
      gathered = null;
    }
    assembling = null;
    chat.closed(this);
    leaveRooms(leaveReason).onFailure(e -> log.debug("connection {}: leaving failed: {}", serial, e.toString()));
  }
}
