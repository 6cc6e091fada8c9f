package dev.switchboard.chat;

import dev.switchboard.chat.ChatProtocol.Auth;
import dev.switchboard.chat.ChatProtocol.Binary;
import dev.switchboard.chat.ChatProtocol.Command;
import dev.switchboard.chat.ChatProtocol.ProtocolError;
import dev.switchboard.shared.ws.CloseCodes;
import dev.switchboard.shared.ws.PerMessageDeflate;
import dev.switchboard.shared.ws.WebSocketGuard;
import dev.switchboard.shared.ws.WebSocketGuard.Refusal;
import dev.switchboard.shared.ws.WebSocketLimits;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * One WebSocket client: assembles its messages, parses and rate-limits its commands and hands them
 * to its {@link ConnectionCommands}, which run them one after the other, and writes events to it.
 * It is in no room, one, or several (its {@link ConnectionRooms}). Its {@link WebSocketGuard} has
 * checked every frame before it arrives here (size, UTF-8, RFC 6455) and cuts the client off when
 * it stops reading; the connection hears why as the guard's listener. With {@code auth} on it knows
 * who its client is ({@link ConnectionAuth}) before it runs any command, and ends when the token
 * does. Everything it holds, timers included, is released when the socket closes, however it closes.
 */
final class ChatConnection implements WebSocketGuard.Listener {

  private static final Logger log = LoggerFactory.getLogger(ChatConnection.class);

  /** The close reason for a connection whose first message is not its token. */
  static final String AUTH_FIRST = ChatProtocol.UNAUTHORIZED_PREFIX + "send {\"type\":\"auth\",\"token\":\"<JWT>\"} first";

  /** The close reason of a connection whose session another connection took over. */
  static final String SESSION_TAKEN_REASON = "session taken over by another connection";

  /** Outbound bytes gathered for one flush beyond which they are handed to the socket at once. */
  static final int MAX_GATHERED_BYTES = 64 * 1024;

  /** Unique in this process; the cluster-wide {@link #key()} is made from it on the first join only. */
  private final long serial;
  private String key;
  private final ChatVerticle chat;
  private final ChatOptions options;
  private final ServerWebSocket ws;
  private final ConnectionAuth auth;
  private final ConnectionRooms rooms;
  private final ConnectionCommands commands;
  private WebSocketGuard guard;
  /** Whether the client negotiated permessage-deflate: then frames over the threshold go compressed. */
  private boolean deflating;

  private Buffer assembling;
  private boolean assemblingBinary;
  private long lastInbound;
  private double tokens;
  private long refilledAt;
  private int strikes;

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
    this.chat = chat;
    this.options = options;
    this.ws = ws;
    this.auth = new ConnectionAuth(this, chat, options, caller);
    this.rooms = new ConnectionRooms(this, chat, options);
    this.commands = new ConnectionCommands(this, chat, options, auth, rooms);
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

  SocketAddress remoteAddress() {
    return ws.remoteAddress();
  }

  /** True once the connection is closing or closed: nothing more is sent. */
  boolean isClosing() {
    return closing;
  }

  /** True once the socket has closed and the connection let go of everything. */
  boolean isReleased() {
    return released;
  }

  /**
   * A newer connection with this one's session took its nickname in one of its rooms (see
   * {@link PresenceStore#enter}): this one is told and closed. It leaves that room without a
   * {@code left}, as the nickname is still in it; its other rooms, if any, see it leave.
   */
  void takenOver(String roomName, String nick) {
    Membership in = rooms.membership(roomName);
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
    deflating = options.compression() && PerMessageDeflate.negotiated(ws);
    ws.setWriteQueueMaxSize(options.writeQueueMax());
    ws.frameHandler(this::onFrame);
    ws.exceptionHandler(e -> log.debug("connection {} from {} failed: {}", serial, ws.remoteAddress(), e.getMessage()));
    ws.closeHandler(v -> release());
    auth.start();
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
      if (auth.awaiting()) {
        close(CloseCodes.POLICY_VIOLATION, AUTH_FIRST, "unauthorized");
      } else if (allowed()) {
        try {
          Binary binary = ChatBinary.parse(message, options.maxBinarySize());
          commands.queue(binary);
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
      if (auth.awaiting()) {
        close(CloseCodes.POLICY_VIOLATION, AUTH_FIRST, "unauthorized");
      } else {
        sendError(e.code, e.getMessage());
      }
      return;
    }
    if (auth.awaiting()) {
      auth.firstMessageCame();
      if (!(command instanceof Auth)) {
        close(CloseCodes.POLICY_VIOLATION, AUTH_FIRST, "unauthorized");
        return;
      }
    }
    commands.queue(command);
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

  // ---- outbound

  void send(String text) {
    Outgoing frame = Outgoing.text(text, chat.deflater());
    try {
      send(frame);
    } finally {
      frame.release();
    }
  }

  /** A frame made once for any number of connections: compressed for this one if it negotiated permessage-deflate. */
  void send(Outgoing frame) {
    send(frame.bytes(deflating));
  }

  /**
   * Copies a whole frame (see {@link ChatFrames#frame}, shared with other connections) into this
   * connection's gathered bytes, flushed at the end of this event-loop turn or once they pass
   * {@link #MAX_GATHERED_BYTES}.
   */
  private void send(ByteBuf frame) {
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

  void sendError(String code, String message) {
    send(ChatProtocol.error(code, message).encode());
  }

  /** An error about a posted message: it names the message's {@code clientId}, when it has one. */
  void sendError(String code, String message, String clientId) {
    sendError(code, message, clientId, null);
  }

  /** An error about a command that named its room ({@code room} not null): it names the room too. */
  void sendError(String code, String message, String clientId, String room) {
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
  void cutOff() {
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
    auth.release();
    if (gathered != null) {
      gathered.release();
      gathered = null;
    }
    assembling = null;
    chat.closed(this);
    rooms.leaveAll(leaveReason).onFailure(e -> log.debug("connection {}: leaving failed: {}", serial, e.toString()));
  }
}
