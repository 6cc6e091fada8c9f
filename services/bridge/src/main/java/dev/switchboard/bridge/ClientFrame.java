package dev.switchboard.bridge;

import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A frame from a client, checked field by field against the protocol (see the module README).
 *
 * @param type         what the client asks for
 * @param id           the client's label for this frame ({@code String} or {@code Long}), or null
 * @param address      target address (send, publish, register, unregister)
 * @param body         any JSON value, or null
 * @param headers      header values as strings, in the client's order, without {@code timeout}
 * @param timeout      request timeout in milliseconds from the {@code timeout} header, or null
 * @param replyAddress the client's label for the answer to a request, or null
 * @param failureCode  set when a reply fails the message it answers
 * @param message      failure text that goes with {@code failureCode}
 * @param token        authentication token: an auth frame's {@code token}, or the bearer token in
 *                     the {@code authorization} header of a send, publish, register or unregister
 */
record ClientFrame(
  Type type,
  Object id,
  String address,
  Object body,
  Map<String, String> headers,
  Long timeout,
  String replyAddress,
  Integer failureCode,
  String message,
  String token) {

  /** Longest address, reply address and token accepted. */
  static final int MAX_ADDRESS_LENGTH = 256;
  /** Longest string {@code id}. */
  static final int MAX_ID_LENGTH = 64;
  /** Longest failure message passed on; longer ones are cut. */
  static final int MAX_FAILURE_MESSAGE_LENGTH = 1024;
  /** Address prefixes no client may use: the event bus's own, and the bridge's reply labels. */
  static final String VERTX_PREFIX = "__vertx.";
  static final String REPLY_PREFIX = "__bridge.reply.";
  /**
   * Header carrying a token as {@code Bearer <token>} (name compared ignoring case): how clients
   * without an auth frame, such as the Vert.x project's own, authenticate. Never passed on to the bus.
   */
  static final String AUTHORIZATION_HEADER = "authorization";
  static final String BEARER = "bearer";

  /** The client frame types. */
  enum Type {
    AUTH, PING, SEND, PUBLISH, REGISTER, UNREGISTER;

    static Type of(String name) {
      return switch (name) {
        case "auth" -> AUTH;
        case "ping" -> PING;
        case "send" -> SEND;
        case "publish" -> PUBLISH;
        case "register" -> REGISTER;
        case "unregister" -> UNREGISTER;
        default -> null;
      };
    }

    boolean needsAddress() {
      return this == SEND || this == PUBLISH || this == REGISTER || this == UNREGISTER;
    }
  }

  /** Reads and checks a decoded frame; the exception names the first problem found. */
  static ClientFrame parse(JsonObject json) throws FrameException {
    Object id = id(json.getValue("id"));
    Object rawType = json.getValue("type");
    if (!(rawType instanceof String typeName)) {
      throw new FrameException(ErrorCode.INVALID_FRAME, rawType == null ? "frame has no type" : "type must be a string", id, null);
    }
    Type type = Type.of(typeName);
    Object rawAddress = json.getValue("address");
    String address = rawAddress instanceof String s ? s : null;
    if (type == null) {
      throw new FrameException(ErrorCode.UNKNOWN_TYPE, "unknown frame type '" + clip(typeName) + "'", id, address);
    }
    if (type.needsAddress()) {
      if (rawAddress == null) {
        throw new FrameException(ErrorCode.MISSING_ADDRESS, type.name().toLowerCase() + " needs an address", id, null);
      }
      if (address == null) {
        throw new FrameException(ErrorCode.INVALID_ADDRESS, "address must be a string", id, null);
      }
      if (address.isEmpty() || address.length() > MAX_ADDRESS_LENGTH) {
        throw new FrameException(ErrorCode.INVALID_ADDRESS, "address must be 1 to " + MAX_ADDRESS_LENGTH + " characters", id, clip(address));
      }
      if (address.startsWith(VERTX_PREFIX)) {
        throw new FrameException(ErrorCode.INVALID_ADDRESS, "addresses starting with " + VERTX_PREFIX + " are reserved", id, address);
      }
      if (type != Type.SEND && address.startsWith(REPLY_PREFIX)) {
        throw new FrameException(ErrorCode.INVALID_ADDRESS, "addresses starting with " + REPLY_PREFIX + " are the bridge's reply labels", id, address);
      }
    }
    String replyAddress = null;
    Integer failureCode = null;
    String message = null;
    if (type == Type.SEND) {
      replyAddress = optionalString(json, "replyAddress", id, address);
      if (replyAddress != null && (replyAddress.isEmpty() || replyAddress.length() > MAX_ADDRESS_LENGTH)) {
        throw new FrameException(ErrorCode.INVALID_FRAME, "replyAddress must be 1 to " + MAX_ADDRESS_LENGTH + " characters", id, address);
      }
      Object rawCode = json.getValue("failureCode");
      if (rawCode != null) {
        if (!(rawCode instanceof Integer code)) {
          throw new FrameException(ErrorCode.INVALID_FRAME, "failureCode must be a 32-bit integer", id, address);
        }
        failureCode = code;
        message = optionalString(json, "message", id, address);
        if (message != null && message.length() > MAX_FAILURE_MESSAGE_LENGTH) {
          message = message.substring(0, MAX_FAILURE_MESSAGE_LENGTH);
        }
      }
    }
    // errors about a request go to its reply address, where the client waits for them
    String errAddress = replyAddress != null ? replyAddress : address;
    String errSource = replyAddress != null ? address : null;
    String token = null;
    if (type == Type.AUTH) {
      token = optionalString(json, "token", id, null);
      if (token == null) {
        throw new FrameException(ErrorCode.INVALID_FRAME, "auth needs a token", id, null);
      }
    }
    Map<String, String> headers = Map.of();
    Long timeout = null;
    Object rawHeaders = json.getValue("headers");
    if (rawHeaders != null && (type == Type.SEND || type == Type.PUBLISH)) {
      if (!(rawHeaders instanceof JsonObject headerObject)) {
        throw new FrameException(ErrorCode.INVALID_HEADERS, "headers must be an object", id, errAddress, errSource);
      }
      headers = new LinkedHashMap<>();
      for (Map.Entry<String, Object> header : headerObject) {
        Object value = header.getValue();
        if (!(value instanceof String || value instanceof Number || value instanceof Boolean)) {
          throw new FrameException(ErrorCode.INVALID_HEADERS, "header '" + clip(header.getKey()) + "' must be a string, number or boolean", id, errAddress, errSource);
        }
        if (header.getKey().equals("timeout")) {
          timeout = timeout(value, id, errAddress, errSource);
        } else if (!header.getKey().equals("localOnly") && !header.getKey().equalsIgnoreCase(AUTHORIZATION_HEADER)) {
          headers.put(header.getKey(), value.toString());
        }
      }
    }
    // register and unregister have no headers of their own (theirs were always ignored), but the
    // Vert.x clients send the caller's headers with them, so a token may come there too
    if (rawHeaders instanceof JsonObject headerObject && type.needsAddress()) {
      token = bearerToken(headerObject, id, errAddress, errSource);
    }
    return new ClientFrame(type, id, address, json.getValue("body"), headers, timeout, replyAddress, failureCode, message, token);
  }

  private static Object id(Object raw) throws FrameException {
    if (raw == null) {
      return null;
    }
    if (raw instanceof String s && s.length() <= MAX_ID_LENGTH) {
      return s;
    }
    if (raw instanceof Integer || raw instanceof Long) {
      return ((Number) raw).longValue();
    }
    throw new FrameException(ErrorCode.INVALID_FRAME, "id must be a string of at most " + MAX_ID_LENGTH + " characters or an integer");
  }

  private static String optionalString(JsonObject json, String field, Object id, String address) throws FrameException {
    Object value = json.getValue(field);
    if (value == null || value instanceof String) {
      return (String) value;
    }
    throw new FrameException(ErrorCode.INVALID_FRAME, field + " must be a string", id, address);
  }

  /** The token of the {@code authorization} header, or null without one. */
  private static String bearerToken(JsonObject headers, Object id, String address, String sourceAddress) throws FrameException {
    String token = null;
    for (Map.Entry<String, Object> header : headers) {
      if (!header.getKey().equalsIgnoreCase(AUTHORIZATION_HEADER)) {
        continue;
      }
      if (token != null) {
        throw new FrameException(ErrorCode.INVALID_HEADERS, "more than one authorization header", id, address, sourceAddress);
      }
      String value = header.getValue() instanceof String s ? s : "";
      int space = value.indexOf(' ');
      String scheme = space < 0 ? value : value.substring(0, space);
      String rest = space < 0 ? "" : value.substring(space + 1).strip();
      if (!scheme.equalsIgnoreCase(BEARER) || rest.isEmpty()) {
        throw new FrameException(ErrorCode.INVALID_HEADERS, "the authorization header must be 'Bearer <token>'", id, address, sourceAddress);
      }
      token = rest;
    }
    return token;
  }

  private static Long timeout(Object value, Object id, String address, String sourceAddress) throws FrameException {
    try {
      long millis = value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) ? n.longValue() : Long.parseLong(value.toString());
      if (millis >= 1) {
        return millis;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new FrameException(ErrorCode.INVALID_HEADERS, "timeout header must be a positive number of milliseconds", id, address, sourceAddress);
  }

  private static String clip(String text) {
    return text.length() > 64 ? text.substring(0, 64) + "…" : text;
  }
}
