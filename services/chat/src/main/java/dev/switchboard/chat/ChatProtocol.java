package dev.switchboard.chat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The chat wire format (see the module README): client commands parsed and checked out of a
 * WebSocket text message, and the server events written back. Free of sockets and the bus, so it
 * is tested on its own.
 */
final class ChatProtocol {

  /** Room names: lower-case letters, digits, {@code _} and {@code -}, starting with a letter or digit. */
  static final Pattern ROOM = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");
  /** Nicknames: letters and digits of any script, spaces, {@code _ . -}; no leading or trailing space. */
  static final Pattern NICKNAME = Pattern.compile("[\\p{L}\\p{N}_]([\\p{L}\\p{N} _.-]{0,30}[\\p{L}\\p{N}_.-])?");
  /** Client ids: what a UUID or a counter looks like. */
  static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

  /** A client's own secret for taking its nickname back after a reconnect; a UUID fits. */
  static final Pattern SESSION = Pattern.compile("[A-Za-z0-9_.:-]{16,64}");

  static final String INVALID_JSON = "invalid_json";
  static final String UNKNOWN_TYPE = "unknown_type";
  static final String INVALID_FIELD = "invalid_field";
  /** A {@code since} that is not a sequence number: not an integer, or outside 0..2^63-1. */
  static final String BAD_SINCE = "bad_since";
  /** This connection's session was taken over by a newer connection with the same {@code session}; it is closed. */
  static final String SESSION_TAKEN = "session_taken";
  static final String NOT_JOINED = "not_joined";
  static final String RATE_LIMITED = "rate_limited";
  static final String UNAVAILABLE = "unavailable";
  static final String NICKNAME_TAKEN = "nickname_taken";
  /** A binary message whose payload is over {@code maxBinarySize}. */
  static final String BINARY_TOO_BIG = "binary_too_big";
  /** A {@code join} with {@code add} on a connection already in {@code maxRooms} rooms. */
  static final String TOO_MANY_ROOMS = "too_many_rooms";
  /** The token does not allow it: a room without its scope, or a nickname that is not the token's. */
  static final String FORBIDDEN = "forbidden";
  /** A fresh token in an {@code auth} message was refused; the connection keeps the token it had. */
  static final String UNAUTHORIZED = "unauthorized";

  /** Every reason a connection is closed with for its token starts with this, so a client can tell it from others. */
  static final String UNAUTHORIZED_PREFIX = "unauthorized: ";
  /** RFC 6455 section 5.5: a close frame's body is at most 125 bytes, two of them the code. */
  static final int MAX_CLOSE_REASON_BYTES = 123;

  private static final String ROOM_RULE = "1-32 of a-z 0-9 _ - starting with a letter or digit";
  private static final String NICKNAME_RULE = "1-32 letters, digits, spaces, _ . - without leading or trailing space";
  private static final String TYPES = "(auth, join, leave, message, typing)";
  private static final BigDecimal MAX_SEQ = BigDecimal.valueOf(Long.MAX_VALUE);

  private ChatProtocol() {
  }

  /** A command from a client. */
  sealed interface Command permits Auth, Join, Leave, Message, Typing, Binary {
  }

  /** A token: the first message of a connection that brought none in its upgrade, or a fresh one later. */
  record Auth(String token) implements Command {

    @Override
    public String toString() {
      return "Auth[token hidden]"; // a command may be logged; a token never is
    }
  }

  /**
   * {@code nickname} is null when it was left out, which only a connection with a token may do.
   * Without {@code add} a join leaves every room the connection is in (one room at a time, as
   * clients did before there were several); with it, the room is added to them.
   */
  record Join(String room, String nickname, Long since, String session, boolean add) implements Command {
    Join(String room, String nickname, Long since, String session) {
      this(room, nickname, since, session, false);
    }

    Join(String room, String nickname, Long since) {
      this(room, nickname, since, null);
    }
  }

  /** {@code room} null: every room the connection is in. */
  record Leave(String room) implements Command {
    Leave() {
      this(null);
    }
  }

  /** {@code room} null: the connection's only room. */
  record Message(String text, String clientId, String room) implements Command {
    Message(String text, String clientId) {
      this(text, clientId, null);
    }
  }

  /** {@code room} null: the connection's only room. */
  record Typing(String room) implements Command {
    Typing() {
      this(null);
    }
  }

  /** A binary message ({@link ChatBinary}) for {@code room}, or with {@code room} null the connection's only room. */
  record Binary(String room, Buffer payload) implements Command {

    @Override
    public String toString() {
      return "Binary[room=" + room + ", " + payload.length() + " bytes]";
    }
  }

  /**
   * A message a service posts into a room over the bus ({@code chat.post}), under the name of a
   * system sender; its event carries {@code system: true}, which no client's message does.
   */
  record Post(String room, String sender, String text) {
  }

  /** A command that cannot be accepted; becomes an {@code error} event, and the connection stays. */
  static final class ProtocolError extends Exception {

    final String code;

    ProtocolError(String code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  static Command parse(String frame, int maxTextLength) throws ProtocolError {
    return parse(frame, maxTextLength, false);
  }

  /**
   * A client's command; with {@code nicknameOptional} (the connection has a token, which names it)
   * a {@code join} may leave out {@code nickname}.
   */
  static Command parse(String frame, int maxTextLength, boolean nicknameOptional) throws ProtocolError {
    JsonObject json;
    try {
      json = new JsonObject(frame);
    } catch (DecodeException | ClassCastException e) {
      throw new ProtocolError(INVALID_JSON, "frame is not a JSON object");
    }
    Object type = json.getValue("type");
    if (!(type instanceof String t)) {
      throw new ProtocolError(UNKNOWN_TYPE, "missing string field 'type' " + TYPES);
    }
    switch (t) {
      case "auth":
        Object token = json.getValue("token");
        if (!(token instanceof String s) || s.isEmpty()) {
          throw new ProtocolError(INVALID_FIELD, "'token' must be a non-empty string (a JWT)");
        }
        return new Auth(s);
      case "join":
        return new Join(
          matching(json, "room", ROOM, ROOM_RULE),
          nicknameOptional && json.getValue("nickname") == null ? null
            : matching(json, "nickname", NICKNAME, NICKNAME_RULE),
          since(json),
          json.getValue("session") == null ? null : matching(json, "session", SESSION, "16-64 of A-Z a-z 0-9 _ . : -"),
          flag(json, "add"));
      case "leave":
        return new Leave(optionalRoom(json));
      case "message":
        String s = text(json, maxTextLength);
        String clientId = null;
        if (json.getValue("clientId") != null) {
          clientId = matching(json, "clientId", CLIENT_ID, "1-64 of A-Z a-z 0-9 _ . : -");
        }
        return new Message(s, clientId, optionalRoom(json));
      case "typing":
        return new Typing(optionalRoom(json));
      default:
        throw new ProtocolError(UNKNOWN_TYPE, "unknown type '" + abbreviate(t) + "' " + TYPES);
    }
  }

  /**
   * The body of a {@code chat.post} request: a JSON object with {@code room}, {@code sender} (a
   * name by the nickname rules) and {@code text}, held to the rules of a WebSocket post.
   */
  static Post post(Object body, int maxTextLength) throws ProtocolError {
    if (!(body instanceof JsonObject json)) {
      throw new ProtocolError(INVALID_JSON, "the body must be a JSON object {room, sender, text}");
    }
    return new Post(
      matching(json, "room", ROOM, ROOM_RULE),
      matching(json, "sender", NICKNAME, NICKNAME_RULE),
      text(json, maxTextLength));
  }

  /** A {@code room} a command may leave out (null), checked by the room rules when it is there. */
  private static String optionalRoom(JsonObject json) throws ProtocolError {
    return json.getValue("room") == null ? null : matching(json, "room", ROOM, ROOM_RULE);
  }

  private static boolean flag(JsonObject json, String field) throws ProtocolError {
    Object value = json.getValue(field);
    if (value != null && !(value instanceof Boolean)) {
      throw new ProtocolError(INVALID_FIELD, "'" + field + "' must be true or false");
    }
    return Boolean.TRUE.equals(value);
  }

  private static String text(JsonObject json, int maxTextLength) throws ProtocolError {
    Object text = json.getValue("text");
    if (!(text instanceof String s) || s.isBlank()) {
      throw new ProtocolError(INVALID_FIELD, "'text' must be a non-empty string");
    }
    if (s.length() > maxTextLength) {
      throw new ProtocolError(INVALID_FIELD, "'text' is longer than " + maxTextLength + " characters");
    }
    return s;
  }

  private static String matching(JsonObject json, String field, Pattern pattern, String rule) throws ProtocolError {
    Object value = json.getValue(field);
    if (!(value instanceof String s) || !pattern.matcher(s).matches()) {
      throw new ProtocolError(INVALID_FIELD, "'" + field + "' must be " + rule);
    }
    return s;
  }

  /**
   * A sequence number: an integer from 0 to 2^63-1. JSON has one number type, so the parser hands
   * over whichever Java type fits; a big integer or a float is taken only when it is exactly such
   * a number ({@code 1e400} and 20-digit numbers are not: they would wrap or saturate).
   */
  private static Long since(JsonObject json) throws ProtocolError {
    Object value = json.getValue("since");
    if (value == null) {
      return null;
    }
    if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      long n = ((Number) value).longValue();
      if (n >= 0) {
        return n;
      }
    } else if (value instanceof BigInteger n) {
      if (n.signum() >= 0 && n.bitLength() < Long.SIZE) {
        return n.longValue();
      }
    } else if (value instanceof BigDecimal n) {
      if (n.signum() >= 0 && n.compareTo(MAX_SEQ) <= 0 && n.stripTrailingZeros().scale() <= 0) {
        return n.longValueExact();
      }
    } else if (value instanceof Double || value instanceof Float) {
      double n = ((Number) value).doubleValue();
      // 2^63 is the first double past Long.MAX_VALUE; below it every integral double is a long.
      if (n >= 0 && n < 0x1p63 && n == Math.rint(n)) {
        return (long) n;
      }
    }
    throw new ProtocolError(BAD_SINCE, "'since' must be a sequence number: an integer from 0 to " + Long.MAX_VALUE);
  }

  private static String abbreviate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }

  /** {@code reason} cut, at a character boundary, to what a close frame can carry. */
  static String closeReason(String reason) {
    if (reason.getBytes(StandardCharsets.UTF_8).length <= MAX_CLOSE_REASON_BYTES) {
      return reason;
    }
    int end = reason.length();
    while (reason.substring(0, end).getBytes(StandardCharsets.UTF_8).length > MAX_CLOSE_REASON_BYTES - 3) {
      end = reason.offsetByCodePoints(end, -1);
    }
    return reason.substring(0, end) + "...";
  }

  // ---- events

  static JsonObject error(String code, String message) {
    return new JsonObject().put("type", "error").put("code", code).put("message", message);
  }

  /** The answer to a good token: who the connection is, until when (ms since the epoch), with which scopes. */
  static JsonObject authenticated(String nickname, long expires, List<String> scopes) {
    return new JsonObject().put("type", "authenticated").put("nickname", nickname).put("expires", expires).put("scopes", scopes);
  }

  static JsonObject message(String room, String sender, String text, long seq, String id, long time) {
    return new JsonObject().put("type", "message").put("room", room).put("sender", sender).put("text", text)
      .put("time", time).put("seq", seq).put("id", id);
  }

  /** A message posted over the bus by a service: a {@link #message} marked {@code system: true}. */
  static JsonObject systemMessage(String room, String sender, String text, long seq, String id, long time) {
    return message(room, sender, text, seq, id, time).put("system", true);
  }

  static JsonObject ack(String clientId, long seq, String id, boolean duplicate) {
    JsonObject ack = new JsonObject().put("type", "ack").put("clientId", clientId).put("seq", seq);
    return duplicate ? ack.put("duplicate", true) : ack.put("id", id);
  }

  /** The same, naming the room, for a {@code message} that named its room. */
  static JsonObject ack(String clientId, long seq, String id, boolean duplicate, String room) {
    JsonObject ack = ack(clientId, seq, id, duplicate);
    return room == null ? ack : ack.put("room", room);
  }

  static JsonObject joined(String room, String nickname, long time) {
    return new JsonObject().put("type", "joined").put("room", room).put("nickname", nickname).put("time", time);
  }

  static JsonObject left(String room, String nickname, long time, String reason) {
    return new JsonObject().put("type", "left").put("room", room).put("nickname", nickname).put("time", time).put("reason", reason);
  }

  static JsonObject presence(String room, List<String> members) {
    return new JsonObject().put("type", "presence").put("room", room).put("members", members).put("count", members.size());
  }

  static JsonObject typing(String room, String nickname) {
    return new JsonObject().put("type", "typing").put("room", room).put("nickname", nickname);
  }
}
