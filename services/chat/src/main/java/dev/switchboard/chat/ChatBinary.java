package dev.switchboard.chat;

import dev.switchboard.chat.ChatProtocol.ProtocolError;
import io.vertx.core.buffer.Buffer;

import java.nio.charset.StandardCharsets;

/**
 * The chat's binary messages (see the module README, "Binary messages"): a small header naming the
 * room (and, from the server, the sender), then the payload, relayed as is. Read out of a
 * WebSocket binary message and written for the room's members; free of sockets and the bus.
 * <pre>
 * client → server: 0x01 | room length (1 byte, 0: the connection's only room) | room (UTF-8) | payload
 * server → client: 0x01 | room length (1 byte) | room | sender length (1 byte) | sender (UTF-8) | payload
 * </pre>
 */
final class ChatBinary {

  /** The first byte of every binary message of this protocol; another value is not one of its messages. */
  static final byte VERSION = 1;
  /** Longest room name in bytes: the room rules allow 32 ASCII characters. */
  static final int MAX_ROOM_BYTES = 32;
  /** Longest sender name in bytes: 32 characters of at most 4 bytes each. */
  static final int MAX_SENDER_BYTES = 128;

  private ChatBinary() {
  }

  /**
   * Reads a client's binary message. A message that is not one of this protocol's (no version
   * byte, a header cut short, a room breaking the room rules, no payload) is an
   * {@code invalid_json} error, as any binary message was before; a payload over
   * {@code maxPayload} bytes a {@code binary_too_big} one. Nothing is copied before both are checked.
   */
  static ChatProtocol.Binary parse(Buffer message, int maxPayload) throws ProtocolError {
    if (message.length() < 2 || message.getByte(0) != VERSION) {
      throw new ProtocolError(ChatProtocol.INVALID_JSON,
        "a binary message starts with 0x01 and the length of its room name (see the chat's README); send JSON text otherwise");
    }
    int roomLength = message.getUnsignedByte(1);
    if (roomLength > MAX_ROOM_BYTES || message.length() < 2 + roomLength) {
      throw new ProtocolError(ChatProtocol.INVALID_JSON, "a binary message's room name is 0 to " + MAX_ROOM_BYTES + " bytes and is followed by the payload");
    }
    String room = null;
    if (roomLength > 0) {
      room = message.getString(2, 2 + roomLength, StandardCharsets.US_ASCII.name());
      if (!ChatProtocol.ROOM.matcher(room).matches()) {
        throw new ProtocolError(ChatProtocol.INVALID_JSON, "a binary message's room must be 1-32 of a-z 0-9 _ - starting with a letter or digit");
      }
    }
    int payload = message.length() - 2 - roomLength;
    if (payload == 0) {
      throw new ProtocolError(ChatProtocol.INVALID_JSON, "a binary message carries at least one byte after its header");
    }
    if (payload > maxPayload) {
      throw new ProtocolError(ChatProtocol.BINARY_TOO_BIG, "a binary message carries at most " + maxPayload + " bytes (maxBinarySize); this one "
        + payload);
    }
    return new ChatProtocol.Binary(room, message.getBuffer(2 + roomLength, message.length()));
  }

  /** What the room's members receive: the header with room and sender, then the payload. */
  static Buffer encode(String room, String sender, Buffer payload) {
    byte[] roomBytes = room.getBytes(StandardCharsets.US_ASCII);
    byte[] senderBytes = sender.getBytes(StandardCharsets.UTF_8);
    if (roomBytes.length > MAX_ROOM_BYTES || senderBytes.length > MAX_SENDER_BYTES) {
      throw new IllegalArgumentException("room or sender too long for a binary header");
    }
    return Buffer.buffer(3 + roomBytes.length + senderBytes.length + payload.length())
      .appendByte(VERSION)
      .appendByte((byte) roomBytes.length).appendBytes(roomBytes)
      .appendByte((byte) senderBytes.length).appendBytes(senderBytes)
      .appendBuffer(payload);
  }
}
