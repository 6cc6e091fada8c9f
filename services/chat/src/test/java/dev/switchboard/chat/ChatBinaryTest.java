package dev.switchboard.chat;

import dev.switchboard.chat.ChatProtocol.Binary;
import dev.switchboard.chat.ChatProtocol.ProtocolError;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Binary messages without sockets: the header read at every length, every refusal, and garbage. */
class ChatBinaryTest {

  private static final int MAX = 8;

  private static Buffer message(int version, String room, byte... payload) {
    byte[] name = room.getBytes(StandardCharsets.UTF_8);
    return Buffer.buffer().appendByte((byte) version).appendByte((byte) name.length).appendBytes(name).appendBytes(payload);
  }

  private static String code(Buffer message) {
    return assertThrows(ProtocolError.class, () -> ChatBinary.parse(message, MAX), message::toString).code;
  }

  @Test
  void readsTheRoomAndThePayload() throws ProtocolError {
    Binary named = ChatBinary.parse(message(1, "lobby", (byte) 0xFF, (byte) 0, (byte) 7), MAX);
    assertEquals("lobby", named.room());
    assertArrayEquals(new byte[] {(byte) 0xFF, 0, 7}, named.payload().getBytes());
    Binary only = ChatBinary.parse(message(1, "", (byte) 1), MAX);
    assertNull(only.room(), "no room: the connection's only room");
    assertArrayEquals(new byte[] {1}, only.payload().getBytes());
    assertEquals("Binary[room=lobby, 3 bytes]", named.toString(), "a command may be logged; its payload never is");
  }

  @Test
  void everyCutOfTheHeaderIsRefusedAndEveryCutOfThePayloadIsShorter() throws ProtocolError {
    Buffer whole = message(1, "lobby", (byte) 1, (byte) 2, (byte) 3);
    int header = 2 + "lobby".length();
    for (int length = 0; length <= whole.length(); length++) {
      Buffer cut = whole.getBuffer(0, length);
      if (length <= header) {
        assertEquals(ChatProtocol.INVALID_JSON, code(cut), "cut at " + length);
      } else {
        assertEquals(length - header, ChatBinary.parse(cut, MAX).payload().length(), "cut at " + length);
      }
    }
  }

  @Test
  void refusesWhatIsNoBinaryMessageOfTheChatAndPayloadsOverTheLimit() throws ProtocolError {
    assertEquals(ChatProtocol.INVALID_JSON, code(Buffer.buffer("{}")), "what a client that never knew binary messages sends");
    assertEquals(ChatProtocol.INVALID_JSON, code(message(0, "lobby", (byte) 1)));
    assertEquals(ChatProtocol.INVALID_JSON, code(message(2, "lobby", (byte) 1)));
    assertEquals(ChatProtocol.INVALID_JSON, code(message(1, "Lobby", (byte) 1)));
    assertEquals(ChatProtocol.INVALID_JSON, code(message(1, "-x", (byte) 1)));
    assertEquals(ChatProtocol.INVALID_JSON, code(message(1, "é", (byte) 1)));
    assertEquals(ChatProtocol.INVALID_JSON, code(message(1, "x".repeat(33), (byte) 1)));
    assertEquals(ChatProtocol.INVALID_JSON, code(Buffer.buffer(new byte[] {1, (byte) 255, 1, 2})));
    assertEquals("x".repeat(32), ChatBinary.parse(message(1, "x".repeat(32), (byte) 1), MAX).room());

    assertEquals(MAX, ChatBinary.parse(message(1, "", new byte[MAX]), MAX).payload().length());
    ProtocolError tooBig = assertThrows(ProtocolError.class, () -> ChatBinary.parse(message(1, "lobby", new byte[MAX + 1]), MAX));
    assertEquals(ChatProtocol.BINARY_TOO_BIG, tooBig.code);
    assertTrue(tooBig.getMessage().contains("at most " + MAX + " bytes"), tooBig.getMessage());
  }

  @Test
  void garbageIsRefusedWithACodeNeverAnException() {
    Random random = new Random(20261204);
    Set<String> codes = Set.of(ChatProtocol.INVALID_JSON, ChatProtocol.BINARY_TOO_BIG);
    for (int i = 0; i < 10_000; i++) {
      byte[] bytes = new byte[random.nextInt(48)];
      random.nextBytes(bytes);
      if (bytes.length > 0 && random.nextBoolean()) {
        bytes[0] = ChatBinary.VERSION;
      }
      try {
        Binary binary = ChatBinary.parse(Buffer.buffer(bytes), MAX);
        assertTrue(binary.payload().length() >= 1 && binary.payload().length() <= MAX);
      } catch (ProtocolError e) {
        assertTrue(codes.contains(e.code), e.code);
      }
    }
  }

  @Test
  void relayedMessagesNameRoomAndSenderBeforeThePayload() {
    Buffer relayed = ChatBinary.encode("lobby", "Zoë", Buffer.buffer(new byte[] {9, 8}));
    byte[] sender = "Zoë".getBytes(StandardCharsets.UTF_8);
    Buffer expected = Buffer.buffer().appendByte((byte) 1).appendByte((byte) 5).appendString("lobby")
      .appendByte((byte) sender.length).appendBytes(sender).appendBytes(new byte[] {9, 8});
    assertEquals(expected, relayed);
    assertEquals(new Relayed("lobby", "Zoë", Buffer.buffer(new byte[] {9, 8})), Relayed.of(relayed));
  }

  /** A relayed binary message read back as a client reads it. */
  record Relayed(String room, String sender, Buffer payload) {

    static Relayed of(Buffer message) {
      assertEquals(ChatBinary.VERSION, message.getByte(0));
      int roomLength = message.getUnsignedByte(1);
      int senderAt = 2 + roomLength;
      int senderLength = message.getUnsignedByte(senderAt);
      return new Relayed(message.getString(2, senderAt, "US-ASCII"), message.getString(senderAt + 1, senderAt + 1 + senderLength, "UTF-8"),
        message.getBuffer(senderAt + 1 + senderLength, message.length()));
    }
  }
}
