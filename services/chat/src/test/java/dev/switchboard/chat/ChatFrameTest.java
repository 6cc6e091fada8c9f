package dev.switchboard.chat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The frames the chat writes as ready-made bytes read back as RFC 6455 text frames, at every length form. */
class ChatFrameTest {

  @Test
  void framesDecodeAtEveryLengthForm() {
    // 0 and 125: one-byte length; 126 and 65535: two-byte; 65536 and beyond: eight-byte.
    for (int length : new int[] {0, 1, 125, 126, 127, 65_535, 65_536, 300_000}) {
      assertRoundTrip("x".repeat(length));
    }
    // Multi-byte UTF-8: the length is counted in bytes, not characters (3 bytes per '€').
    assertRoundTrip("€".repeat(42));  // 126 bytes
    assertRoundTrip("é€😀".repeat(7_000));
  }

  @Test
  void oneFrameCopiedIntoAConnectionFollowsTheOneBefore() {
    EmbeddedChannel client = clientSide();
    ByteBuf first = ChatFrames.frame("{\"type\":\"message\",\"seq\":1}");
    ByteBuf second = ChatFrames.frame("{\"type\":\"message\",\"seq\":2}");
    ByteBuf gathered = first.alloc().buffer();
    gathered.writeBytes(first, first.readerIndex(), first.readableBytes());
    gathered.writeBytes(second, second.readerIndex(), second.readableBytes());
    first.release();
    second.release();
    assertTrue(client.writeInbound(gathered));
    assertEquals("{\"type\":\"message\",\"seq\":1}", readText(client));
    assertEquals("{\"type\":\"message\",\"seq\":2}", readText(client));
    assertNull(client.readInbound());
    client.finishAndReleaseAll();
  }

  private static void assertRoundTrip(String text) {
    EmbeddedChannel client = clientSide();
    ByteBuf frame = ChatFrames.frame(text);
    assertEquals(0x81, frame.getByte(frame.readerIndex()) & 0xFF, "FIN and the text opcode, no reserved bits");
    assertTrue(client.writeInbound(frame));
    assertEquals(text, readText(client));
    assertNull(client.readInbound());
    client.finishAndReleaseAll();
  }

  /** A client's decoder: server frames must be unmasked, and may be as large as the tests make them. */
  private static EmbeddedChannel clientSide() {
    return new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
      .expectMaskedFrames(false)
      .allowMaskMismatch(false)
      .maxFramePayloadLength(1 << 20)
      .build()));
  }

  private static String readText(EmbeddedChannel client) {
    Object frame = client.readInbound();
    TextWebSocketFrame text = assertInstanceOf(TextWebSocketFrame.class, frame);
    try {
      assertTrue(text.isFinalFragment());
      return text.text();
    } finally {
      text.release();
    }
  }
}
