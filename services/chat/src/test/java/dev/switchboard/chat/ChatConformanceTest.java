package dev.switchboard.chat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** RFC 6455 violations end with the close code the RFC asks for, sent by the server. */
class ChatConformanceTest extends ChatTestBase {

  @BeforeEach
  void deployChat() {
    deploy(new JsonObject());
  }

  private int closeAfter(boolean fin, int rsv, int opcode, byte[] payload) throws Exception {
    try (RawWebSocket raw = RawWebSocket.connect(port)) {
      raw.frame(fin, rsv, opcode, payload);
      return raw.awaitClose();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 4})
  void reservedBitWithoutExtensionIs1002(int rsv) throws Exception {
    assertEquals(1002, closeAfter(true, rsv, RawWebSocket.TEXT, "{}".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void invalidUtf8InTextIs1007() throws Exception {
    assertEquals(1007, closeAfter(true, 0, RawWebSocket.TEXT, new byte[] {'"', (byte) 0xC3, (byte) 0x28, '"'}));
  }

  @Test
  void invalidUtf8SplitOverFragmentsIs1007() throws Exception {
    try (RawWebSocket raw = RawWebSocket.connect(port)) {
      raw.frame(false, 0, RawWebSocket.TEXT, new byte[] {'"', (byte) 0xE2});
      raw.frame(true, 0, RawWebSocket.CONTINUATION, new byte[] {(byte) 0x28, (byte) 0xA1, '"'});
      assertEquals(1007, raw.awaitClose());
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000})
  void invalidCloseCodeIs1002(int code) throws Exception {
    assertEquals(1002, closeAfter(true, 0, RawWebSocket.CLOSE, RawWebSocket.closePayload(code)));
  }

  @Test
  void closeWithOneByteBodyIs1002() throws Exception {
    assertEquals(1002, closeAfter(true, 0, RawWebSocket.CLOSE, new byte[] {3}));
  }

  @ParameterizedTest
  @ValueSource(ints = {1000, 1001, 3000, 4999})
  void validCloseCodeIsEchoed(int code) throws Exception {
    assertEquals(code, closeAfter(true, 0, RawWebSocket.CLOSE, RawWebSocket.closePayload(code)));
  }

  @ParameterizedTest
  @ValueSource(ints = {RawWebSocket.PING, RawWebSocket.PONG, RawWebSocket.CLOSE})
  void fragmentedControlFrameIs1002(int opcode) throws Exception {
    assertEquals(1002, closeAfter(false, 0, opcode, new byte[0]));
  }

  @Test
  void controlFrameLongerThan125Is1002() throws Exception {
    assertEquals(1002, closeAfter(true, 0, RawWebSocket.PING, new byte[126]));
  }

  @ParameterizedTest
  @ValueSource(ints = {0x3, 0x7, 0xB, 0xF})
  void reservedOpcodeIs1002(int opcode) throws Exception {
    assertEquals(1002, closeAfter(true, 0, opcode, new byte[0]));
  }

  @Test
  void continuationWithoutAStartIs1002() throws Exception {
    assertEquals(1002, closeAfter(true, 0, RawWebSocket.CONTINUATION, "x".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void newMessageInsideAFragmentedOneIs1002() throws Exception {
    try (RawWebSocket raw = RawWebSocket.connect(port)) {
      raw.frame(false, 0, RawWebSocket.TEXT, "{".getBytes(StandardCharsets.UTF_8));
      raw.frame(true, 0, RawWebSocket.TEXT, "{}".getBytes(StandardCharsets.UTF_8));
      assertEquals(1002, raw.awaitClose());
    }
  }

  @Test
  void unmaskedFrameIs1002() throws Exception {
    try (RawWebSocket raw = RawWebSocket.connect(port)) {
      raw.unmasked(RawWebSocket.TEXT, "{}".getBytes(StandardCharsets.UTF_8));
      assertEquals(1002, raw.awaitClose());
    }
  }

  @Test
  void pingIsAnsweredWithPongOfTheSamePayload() throws Exception {
    try (RawWebSocket raw = RawWebSocket.connect(port)) {
      raw.frame(true, 0, RawWebSocket.PING, new byte[] {1, 2, 3});
      assertArrayEquals(new byte[] {1, 2, 3}, raw.awaitOpcode(RawWebSocket.PONG).payload());
    }
  }

  @Test
  void pingBetweenFragmentsIsAllowed() throws Exception {
    try (RawWebSocket raw = RawWebSocket.connect(port)) {
      raw.frame(false, 0, RawWebSocket.TEXT, "{\"type\":".getBytes(StandardCharsets.UTF_8));
      raw.frame(true, 0, RawWebSocket.PING, new byte[] {9});
      raw.frame(true, 0, RawWebSocket.CONTINUATION, "\"dance\"}".getBytes(StandardCharsets.UTF_8));
      assertArrayEquals(new byte[] {9}, raw.awaitOpcode(RawWebSocket.PONG).payload());
      assertEquals("unknown_type", new JsonObject(raw.awaitOpcode(RawWebSocket.TEXT).text()).getString("code"));
    }
  }
}
