package dev.switchboard.chat;

import dev.switchboard.chat.ChatProtocol.Auth;
import dev.switchboard.chat.ChatProtocol.Command;
import dev.switchboard.chat.ChatProtocol.Join;
import dev.switchboard.chat.ChatProtocol.Leave;
import dev.switchboard.chat.ChatProtocol.Message;
import dev.switchboard.chat.ChatProtocol.ProtocolError;
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

/**
 * One WebSocket client: assembles its messages, parses and rate-limits its commands and runs them
 * one after the other, and writes events to it. Its {@link WebSocketGuard} has checked every frame
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
    int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
    ByteBuf frame = ByteBufAllocator.DEFAULT.buffer(header + length);
    frame.writeByte(0x81);
    if (length < 126) {
      frame.writeByte(length);
    } else if (length <= 0xFFFF) {
      frame.writeByte(126).writeShort(length);
    } else {
      frame.writeByte(127).writeLong(length);
    }
    ByteBufUtil.reserveAndWriteUtf8(frame, text, length);
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

  private Room room;
  private String nickname;
  private String session;
  private boolean replaying;
  /** Allocated for the length of a replay only: most of the time a connection holds nothing. */
  private ArrayDeque<Held> held;
  private long lastSent;

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
   * A newer connection with this one's session took its nickname in its room (see
   * {@link ChatStore#enter}): this one is told and closed. It leaves without a {@code left}, as
   * the nickname is still in the room.
   */
  void takenOver(String roomName, String nick) {
    if (room == null || !room.name.equals(roomName) || !nick.equals(nickname) || closing) {
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
        sendError(ChatProtocol.INVALID_JSON, "binary messages are not part of the protocol; send JSON text");
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
    } else if (command instanceof Leave) {
      done = leave();
    } else {
      done = typing();
    }
    // Bounded: while the cluster retries (a member gone, partitions moving), the client hears
    // within commandTimeout and its next commands are not held behind this one.
    Promise<Void> settled = Promise.promise();
    long timeout = options.commandTimeout().toMillis();
    String clientId = command instanceof Message message ? message.clientId() : null;
    long timer = chat.setTimer(timeout, t -> {
      if (settled.tryComplete()) {
        log.debug("connection {}: {} not done after {} ms", serial, command, timeout);
        sendError(ChatProtocol.UNAVAILABLE, "the chat did not finish that within " + timeout + " ms; try again"
          + (command instanceof Message ? " (a resend with the same clientId is never posted twice)" : ""), clientId);
      }
    });
    done.onComplete(result -> {
      chat.cancelTimer(timer);
      if (settled.tryComplete() && result.failed()) {
        log.debug("connection {}: {} failed: {}", serial, command, result.cause().toString());
        sendError(ChatProtocol.UNAVAILABLE, "the chat could not do that just now; try again", clientId);
      }
    });
    return settled.future();
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
    if (caller != null) {
      // The token names the client: no other nickname, and a restricted room only with its scope.
      if (asked.nickname() != null && !asked.nickname().equals(caller.nickname())) {
        sendError(ChatProtocol.FORBIDDEN, "your token says you are '" + caller.nickname() + "': join without a nickname, or with that one");
        return Future.succeededFuture();
      }
      String scope = options.scopeFor(asked.room());
      if (!caller.mayJoin(scope)) {
        sendError(ChatProtocol.FORBIDDEN, "room '" + asked.room() + "' needs scope " + scope + " or " + ChatOptions.ALL_ROOMS_SCOPE);
        return Future.succeededFuture();
      }
      join = new Join(asked.room(), caller.nickname(), asked.since(), asked.session());
    }
    return enterRoom(join);
  }

  private Future<?> enterRoom(Join join) {
    ChatStore store = chat.store();
    return leaveRoom("left")
      .compose(v -> store.enter(chat.nodeId(), key(), join.room(), join.nickname(), join.session()))
      .<Object>compose(entered -> {
        if (entered.tookOver() != null) {
          chat.takenOver(entered.tookOver(), join.room(), join.nickname());
        }
        if (!entered.in()) {
          sendError(ChatProtocol.NICKNAME_TAKEN, "nickname '" + join.nickname() + "' is already in room '" + join.room() + "'");
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
      chat.release(joinedRoom, this);
      return store.exit(chat.nodeId(), key(), join.room(), join.nickname(), join.session()).mapEmpty();
    }
    room = joinedRoom;
    nickname = join.nickname();
    session = join.session();
    replaying = true;
    lastSent = 0;
    joinedRoom.add(this);
    long last = joinedRoom.nextSeq() - 1;
    long from = join.since() == null ? Math.max(0, last - options.historySize()) : Math.min(join.since(), last);
    boolean truncated = join.since() != null && join.since() < last - options.historySize();
    long now = System.currentTimeMillis();
    return store.members(joinedRoom.name)
      .compose(members -> {
        send(ChatProtocol.joined(joinedRoom.name, nickname, now).put("self", true).put("seq", last).put("truncated", truncated).encode());
        send(ChatProtocol.presence(joinedRoom.name, members).encode());
        chat.publish(joinedRoom.name, ChatProtocol.joined(joinedRoom.name, nickname, now), key());
        return store.messages(joinedRoom.name, from, last);
      })
      .map(replay -> {
        if (room != joinedRoom) {
          return null;
        }
        for (JsonObject message : replay) {
          lastSent = message.getLong("seq");
          send(message.encode());
        }
        lastSent = Math.max(lastSent, last);
        endReplay();
        return null;
      })
      .onFailure(e -> endReplay());
  }

  private void endReplay() {
    replaying = false;
    ArrayDeque<Held> waiting = held;
    held = null;
    while (waiting != null && !waiting.isEmpty()) {
      Held next = waiting.poll();
      if (next.seq() > lastSent) {
        lastSent = next.seq();
        send(next.text());
      }
    }
  }

  private Future<?> leave() {
    if (room == null) {
      sendError(ChatProtocol.NOT_JOINED, "not in a room");
      return Future.succeededFuture();
    }
    String name = room.name;
    String nick = nickname;
    return leaveRoom("left").onSuccess(v -> send(ChatProtocol.left(name, nick, System.currentTimeMillis(), "left").put("self", true).encode()));
  }

  /** Leaves the current room, if any, and tells its other members why. */
  private Future<Void> leaveRoom(String reason) {
    Room leaving = room;
    if (leaving == null) {
      return Future.succeededFuture();
    }
    String nick = nickname;
    String ses = session;
    room = null;
    nickname = null;
    session = null;
    replaying = false;
    held = null;
    chat.release(leaving, this);
    if (chat.leavesPresenceToCluster()) {
      return Future.succeededFuture();
    }
    return chat.store().exit(chat.nodeId(), key(), leaving.name, nick, ses).map(removed -> {
      if (removed) {
        chat.publish(leaving.name, ChatProtocol.left(leaving.name, nick, System.currentTimeMillis(), reason), key());
      }
      return null;
    });
  }

  private Future<?> message(Message message) {
    if (room == null) {
      sendError(ChatProtocol.NOT_JOINED, "join a room before sending messages", message.clientId());
      return Future.succeededFuture();
    }
    String name = room.name;
    String sender = nickname;
    if (message.clientId() == null) {
      return chat.post(name, sender, message.text());
    }
    return postOnce(name, sender, message.text(), message.clientId(), true);
  }

  /**
   * Posts a message with a client id unless that id was posted before. A claim whose number never
   * came (its node died) expires after {@code claimTtl}; a resend that sees it vanish while waiting
   * claims the id again, once. A resend whose first copy is still being numbered after the wait
   * is answered {@code unavailable}, so that the client sends it again later: never silence.
   */
  private Future<Void> postOnce(String name, String sender, String text, String clientId, boolean again) {
    ChatStore store = chat.store();
    return store.claim(name, sender, clientId).compose(previous -> {
      if (previous != null) {
        // A resend: acknowledged with the first copy's number, waiting for it if still being given.
        return (previous > 0 ? Future.succeededFuture(previous) : numbered(name, sender, clientId, DUPLICATE_POLLS))
          .compose(seq -> {
            if (seq != null && seq > 0) {
              send(ChatProtocol.ack(clientId, seq, null, true).encode());
            } else if (seq == null && again) {
              return postOnce(name, sender, text, clientId, false);
            } else {
              sendError(ChatProtocol.UNAVAILABLE, "the message with clientId " + clientId
                + " is still being posted; send it again with the same clientId", clientId);
            }
            return Future.<Void>succeededFuture();
          });
      }
      return chat.post(name, sender, text)
        .onFailure(e -> store.release(name, sender, clientId))
        .compose(posted -> store.claimed(name, sender, clientId, posted.getLong("seq"))
          .otherwiseEmpty()
          .onSuccess(v -> send(ChatProtocol.ack(clientId, posted.getLong("seq"), posted.getString("id"), false).encode())));
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

  private Future<?> typing() {
    if (room == null) {
      sendError(ChatProtocol.NOT_JOINED, "join a room before typing");
    } else {
      chat.publish(room.name, ChatProtocol.typing(room.name, nickname), key());
    }
    return Future.succeededFuture();
  }

  // ---- outbound

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
    JsonObject error = ChatProtocol.error(code, message);
    send((clientId == null ? error : error.put("clientId", clientId)).encode());
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
    held = null;
    assembling = null;
    chat.closed(this);
    leaveRoom(leaveReason).onFailure(e -> log.debug("connection {}: leaving failed: {}", serial, e.toString()));
  }
}
