package dev.switchboard.chat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketClientExtension;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateClientExtensionHandshaker;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Compressed frames without sockets, read back by a client's frame decoder and Netty's
 * permessage-deflate client decoder (with context takeover, as a browser keeps it): several frames
 * in a row through one inflater, each length form, the threshold, and what does not get smaller.
 */
class FrameDeflaterTest {

  private static final int THRESHOLD = 64;

  @Test
  void compressedFramesInARowInflateInAClientThatKeepsItsContext() {
    FrameDeflater deflater = new FrameDeflater(ChatOptions.COMPRESSION_LEVEL, THRESHOLD);
    EmbeddedChannel client = clientSide();
    // Plain frames of every length form (7-bit, 16-bit, 64-bit), then a short one again, through one client inflater.
    for (int length : new int[] {100, 1_000, 65_535, 300_000, 100}) {
      String text = "{\"type\":\"message\",\"text\":\"" + "chat ".repeat(length / 5) + "\"}";
      ByteBuf plain = ChatFrames.frame(text);
      ByteBuf deflated = deflater.deflate(plain);
      assertNotNull(deflated, length + " bytes compress");
      assertEquals(0xC1, deflated.getByte(deflated.readerIndex()) & 0xFF, "FIN, RSV1 and the text opcode");
      assertTrue(deflated.readableBytes() < plain.readableBytes());
      plain.release();
      assertTrue(client.writeInbound(deflated));
      TextWebSocketFrame read = assertInstanceOf(TextWebSocketFrame.class, client.readInbound());
      assertEquals(text, read.text());
      read.release();
    }
    deflater.close();
    client.finishAndReleaseAll();
  }

  @Test
  void binaryFramesKeepTheirOpcode() {
    FrameDeflater deflater = new FrameDeflater(ChatOptions.COMPRESSION_LEVEL, THRESHOLD);
    EmbeddedChannel client = clientSide();
    byte[] payload = new byte[4096];
    ByteBuf plain = ChatFrames.binaryFrame(Buffer.buffer(payload));
    ByteBuf deflated = deflater.deflate(plain);
    plain.release();
    assertEquals(0xC2, deflated.getByte(deflated.readerIndex()) & 0xFF);
    assertTrue(client.writeInbound(deflated));
    BinaryWebSocketFrame read = assertInstanceOf(BinaryWebSocketFrame.class, client.readInbound());
    byte[] got = new byte[read.content().readableBytes()];
    read.content().readBytes(got);
    assertArrayEquals(payload, got);
    read.release();
    deflater.close();
    client.finishAndReleaseAll();
  }

  @Test
  void leavesAloneWhatIsBelowTheThresholdOrDoesNotGetSmaller() {
    FrameDeflater deflater = new FrameDeflater(ChatOptions.COMPRESSION_LEVEL, THRESHOLD);
    ByteBuf small = ChatFrames.frame("x".repeat(THRESHOLD - 1));
    assertNull(deflater.deflate(small), "below the threshold");
    small.release();
    byte[] noise = new byte[10_000];
    new Random(3).nextBytes(noise);
    ByteBuf random = ChatFrames.binaryFrame(Buffer.buffer(noise));
    assertNull(deflater.deflate(random), "random bytes do not get smaller");
    random.release();
    ByteBuf atThreshold = ChatFrames.frame("x".repeat(THRESHOLD));
    ByteBuf deflated = deflater.deflate(atThreshold);
    assertNotNull(deflated, "at the threshold");
    deflated.release();
    deflater.close();
    assertNull(deflater.deflate(atThreshold), "closed: plain from now on");
    atThreshold.release();
  }

  @Test
  void outgoingCompressesOnceForEveryConnectionThatAsks() {
    FrameDeflater deflater = new FrameDeflater(ChatOptions.COMPRESSION_LEVEL, THRESHOLD);
    Outgoing out = Outgoing.text("y".repeat(1000), deflater);
    ByteBuf first = out.bytes(true);
    assertEquals(0xC1, first.getByte(first.readerIndex()) & 0xFF);
    assertTrue(first == out.bytes(true), "the same compressed frame");
    assertEquals(0x81, out.bytes(false).getByte(0) & 0xFF, "plain for a connection without the extension");
    out.release();
    Outgoing off = Outgoing.text("y".repeat(1000), null);
    assertEquals(0x81, off.bytes(true).getByte(0) & 0xFF, "compression off");
    off.release();
    deflater.close();
  }

  /** A client's decoders: unmasked server frames with RSV bits allowed, then permessage-deflate as negotiated plainly. */
  private static EmbeddedChannel clientSide() {
    WebSocketClientExtension extension = new PerMessageDeflateClientExtensionHandshaker()
      .handshakeExtension(new WebSocketExtensionData("permessage-deflate", Map.of()));
    return new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
      .expectMaskedFrames(false).allowExtensions(true).maxFramePayloadLength(1 << 20).build()),
      extension.newExtensionDecoder());
  }
}
