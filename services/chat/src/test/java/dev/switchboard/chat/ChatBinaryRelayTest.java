package dev.switchboard.chat;

import dev.switchboard.chat.ChatBinaryTest.Relayed;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static dev.switchboard.chat.ChatTestClient.ofType;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Binary messages over real sockets: relayed as binary to the room's other members, with a limit of their own. */
class ChatBinaryRelayTest extends ChatTestBase {

  static final int MAX_BINARY = 100;

  @BeforeEach
  void deployChat() {
    deploy(new JsonObject().put("maxBinarySize", MAX_BINARY).put("rateLimit", 1000).put("rateBurst", 1000));
  }

  private static Buffer binary(String room, byte[] payload) {
    byte[] name = room.getBytes(StandardCharsets.US_ASCII);
    return Buffer.buffer().appendByte(ChatBinary.VERSION).appendByte((byte) name.length).appendBytes(name).appendBytes(payload);
  }

  private static byte[] bytes(int n) {
    byte[] payload = new byte[n];
    for (int i = 0; i < n; i++) {
      payload[i] = (byte) (i * 7);
    }
    return payload;
  }

  private static JsonObject add(String room, String nickname) {
    return new JsonObject().put("type", "join").put("room", room).put("nickname", nickname).put("add", true);
  }

  /** A text message from {@code client} that {@code observer} waits for: whatever was relayed before it has arrived. */
  private static void fence(ChatTestClient client, ChatTestClient observer, int messages) {
    client.send(client.message("fence " + messages));
    observer.messages(messages);
  }

  @Test
  void aBinaryMessageReachesTheOtherMembersOfItsRoomAsBinaryAndNobodyElse() {
    ChatTestClient ann = connect();
    ChatTestClient bob = connect();
    ChatTestClient cat = connect();
    ann.join("lobby", "ann");
    bob.join("lobby", "bob");
    cat.join("kitchen", "cat");
    ann.sendBinary(binary("", bytes(MAX_BINARY)));
    Relayed relayed = Relayed.of(bob.binaries(1).get(0));
    assertEquals(new Relayed("lobby", "ann", Buffer.buffer(bytes(MAX_BINARY))), relayed);

    fence(ann, ann, 1);
    fence(cat, cat, 1);
    assertEquals(0, ann.binaryCount(), "not echoed to its sender");
    assertEquals(0, cat.binaryCount(), "not relayed to another room");
    assertEquals(0, bob.count(e -> "binary".equals(e.getString("type"))), "nothing but the binary message itself");
    assertEquals(1L, bob.messages(1).get(0).getLong("seq"), "not numbered: the next message is #1");
  }

  @Test
  void aPayloadOverTheLimitIsRefusedAndTheConnectionStays() {
    ChatTestClient ann = connect();
    ChatTestClient bob = connect();
    ann.join("lobby", "ann");
    bob.join("lobby", "bob");
    ann.sendBinary(binary("lobby", bytes(MAX_BINARY + 1)));
    JsonObject error = ann.awaitOne(ofType("error"));
    assertEquals(ChatProtocol.BINARY_TOO_BIG, error.getString("code"));
    ann.sendBinary(binary("lobby", bytes(3)));
    assertEquals(3, Relayed.of(bob.binaries(1).get(0)).payload().length());
    fence(ann, bob, 1);
    assertEquals(1, bob.binaryCount(), "the refused one was not relayed");
    assertFalse(ann.isClosed());
  }

  @Test
  void aConnectionInSeveralRoomsNamesTheRoomOfABinaryMessage() {
    ChatTestClient ann = connect();
    ann.join(add("lobby", "ann"));
    ann.join(add("kitchen", "ann"));
    ChatTestClient bob = connect();
    bob.join("lobby", "bob");
    ChatTestClient cat = connect();
    cat.join("kitchen", "cat");

    ann.sendBinary(binary("", bytes(2)));
    JsonObject which = ann.awaitOne(ofType("error"));
    assertEquals(ChatProtocol.INVALID_FIELD, which.getString("code"));
    ann.sendBinary(binary("garden", bytes(2)));
    JsonObject notIn = ann.await(ofType("error"), 2).get(1);
    assertEquals(ChatProtocol.NOT_JOINED, notIn.getString("code"));
    assertEquals("garden", notIn.getString("room"));

    ann.sendBinary(binary("kitchen", bytes(2)));
    assertEquals("kitchen", Relayed.of(cat.binaries(1).get(0)).room());
    ann.send(ann.message("fence").put("room", "lobby"));
    bob.messages(1);
    assertEquals(0, bob.binaryCount());
  }

  @Test
  void aBinaryMessageFromAConnectionInNoRoomIsNotJoined() {
    ChatTestClient ann = connect();
    ann.sendBinary(binary("", bytes(1)));
    assertEquals(ChatProtocol.NOT_JOINED, ann.awaitOne(ofType("error")).getString("code"));
  }
}
