package dev.switchboard.shared.ws;

import dev.switchboard.shared.testkit.RawWebSocket;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtension;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpServerOptions;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The bounded inflater without sockets: the decoder the bounded handshaker makes, then the guard,
 * fed compressed frames as Netty's frame decoder hands them on.
 */
class PerMessageDeflateTest {

  private static final int RSV1 = 4;
  private static final WebSocketLimits LIMITS = new WebSocketLimits(16 * 1024, 64 * 1024, 64 * 1024, 2, 3);
  /** What a deflate bomb inflates to: far more than any limit here. */
  private static final long BOMB_INFLATED = 100L * 1024 * 1024;
  /** How much the test thread may allocate while a bomb is refused: the bound of one frame, twice, and change. */
  private static final long ALLOCATION_BOUND = 2L * LIMITS.maxFrame() + 4 * 1024 * 1024;

  /** The extension as negotiated for a client that offered it plainly, the guard after its decoder. */
  private static final class Server {
    final EmbeddedChannel channel;
    final List<WebSocketFrame> passed = new ArrayList<>();
    final List<WebSocketGuard.Refusal> refusals = new ArrayList<>();

    Server(WebSocketLimits limits) {
      WebSocketServerExtension extension = PerMessageDeflate.handshaker(limits, PerMessageDeflate.DEFAULT_LEVEL)
        .handshakeExtension(new WebSocketExtensionData(PerMessageDeflate.EXTENSION, Map.of()));
      assertNotNull(extension, "a plain offer is accepted");
      channel = new EmbeddedChannel(extension.newExtensionDecoder(), new WebSocketGuard(limits, refusals::add),
        new ChannelInboundHandlerAdapter() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            passed.add((WebSocketFrame) msg);
          }
        });
    }

    /** Feeds a frame; an exception the inflater threw (after the guard heard it) is not this test's concern. */
    void receive(WebSocketFrame frame) {
      try {
        channel.writeInbound(frame);
      } catch (RuntimeException e) {
        // recorded by the embedded channel after the guard handled it
      }
    }

    int closeCode() {
      Object out;
      while ((out = readOutbound()) != null) {
        if (out instanceof CloseWebSocketFrame close) {
          int code = close.statusCode();
          close.release();
          return code;
        }
        ReferenceCountUtil.release(out);
      }
      return -1;
    }

    /** What the guard wrote; an exception the inflater raised again while the channel closed is skipped. */
    private Object readOutbound() {
      try {
        return channel.readOutbound();
      } catch (RuntimeException e) {
        return channel.readOutbound();
      }
    }

    byte[] passedPayload(int index) {
      WebSocketFrame frame = passed.get(index);
      byte[] bytes = new byte[frame.content().readableBytes()];
      frame.content().getBytes(frame.content().readerIndex(), bytes);
      return bytes;
    }

    void close() {
      passed.forEach(ReferenceCountUtil::release);
      try {
        channel.finishAndReleaseAll();
      } catch (RuntimeException e) {
        // the inflater's exception once more, from its clean-up
      }
    }
  }

  @Test
  void inflatesAFrameOfExactlyMaxFrameBytesAndClearsRsv1() {
    Server server = new Server(LIMITS);
    byte[] text = new byte[LIMITS.maxFrame()];
    Arrays.fill(text, (byte) 'a');
    server.receive(new TextWebSocketFrame(true, RSV1, Unpooled.wrappedBuffer(RawWebSocket.deflate(text))));
    assertEquals(1, server.passed.size());
    assertEquals(0, server.passed.get(0).rsv());
    assertArrayEquals(text, server.passedPayload(0));
    assertTrue(server.refusals.isEmpty());
    server.close();
  }

  @Test
  void closes1009AFrameInflatingOneByteOverMaxFrame() {
    Server server = new Server(LIMITS);
    server.receive(new BinaryWebSocketFrame(true, RSV1, Unpooled.wrappedBuffer(RawWebSocket.deflate(new byte[LIMITS.maxFrame() + 1]))));
    assertEquals(1009, server.closeCode());
    assertEquals(List.of(WebSocketGuard.Refusal.MESSAGE_TOO_BIG), server.refusals);
    assertTrue(server.passed.isEmpty());
    server.close();
  }

  @Test
  void closes1009ADeflateBombHavingAllocatedAboutOneFrame() {
    byte[] bomb = RawWebSocket.deflateZeros(BOMB_INFLATED);
    for (int i = 0; i < 3; i++) {
      Server server = new Server(LIMITS);
      long before = allocatedByThisThread();
      server.receive(new BinaryWebSocketFrame(true, RSV1, Unpooled.wrappedBuffer(bomb)));
      long allocated = allocatedByThisThread() - before;
      assertEquals(1009, server.closeCode(), "bomb " + i);
      assertEquals(List.of(WebSocketGuard.Refusal.MESSAGE_TOO_BIG), server.refusals);
      assertTrue(server.passed.isEmpty());
      if (before >= 0) {
        assertTrue(allocated < ALLOCATION_BOUND, "allocated " + allocated / 1024 + " KiB refusing a bomb of "
          + bomb.length / 1024 + " KiB that inflates to " + BOMB_INFLATED / (1024 * 1024) + " MiB");
      }
      server.close();
    }
  }

  @Test
  void closes1009AMessageOfSmallCompressedFramesAtMaxMessage() {
    Server server = new Server(LIMITS);
    // Each fragment a compressed piece of one deflate stream (a message is one stream, RFC 7692
    // section 6.1); bytes that do not compress, so that every piece inflates to something.
    byte[] data = new byte[LIMITS.maxMessage() + LIMITS.maxFrame()];
    new Random(7).nextBytes(data);
    byte[] whole = RawWebSocket.deflate(data);
    int pieces = 8;
    int size = whole.length / pieces + 1;
    for (int i = 0, at = 0; at < whole.length && server.refusals.isEmpty(); i++, at += size) {
      byte[] piece = Arrays.copyOfRange(whole, at, Math.min(whole.length, at + size));
      boolean last = at + size >= whole.length;
      server.receive(i == 0 ? new BinaryWebSocketFrame(last, RSV1, Unpooled.wrappedBuffer(piece))
        : new ContinuationWebSocketFrame(last, 0, Unpooled.wrappedBuffer(piece)));
    }
    assertEquals(1009, server.closeCode());
    assertEquals(WebSocketGuard.Refusal.MESSAGE_TOO_BIG, server.refusals.get(0));
    server.close();
  }

  @Test
  void closes1002DataThatIsNotDeflate() {
    Server server = new Server(LIMITS);
    server.receive(new TextWebSocketFrame(true, RSV1, Unpooled.wrappedBuffer(new byte[] {(byte) 0xFF, (byte) 0xFF, 1, 2, 3})));
    assertEquals(1002, server.closeCode());
    assertEquals(List.of(WebSocketGuard.Refusal.PROTOCOL_ERROR), server.refusals);
    server.close();
  }

  @Test
  void passesAnUncompressedFrameAsItIs() {
    Server server = new Server(LIMITS);
    server.receive(new TextWebSocketFrame("plain"));
    assertEquals(1, server.passed.size());
    assertEquals("plain", new String(server.passedPayload(0), StandardCharsets.UTF_8));
    assertEquals(-1, server.closeCode());
    server.close();
  }

  @Test
  void refusesRsv1OnAControlFrame() {
    Server server = new Server(LIMITS);
    server.receive(new PingWebSocketFrame(true, RSV1, Unpooled.wrappedBuffer(new byte[] {1})));
    assertEquals(1002, server.closeCode());
    server.close();
  }

  @Test
  void refusesOffersItCannotHonour() {
    var handshaker = PerMessageDeflate.handshaker(LIMITS, PerMessageDeflate.DEFAULT_LEVEL);
    assertNull(handshaker.handshakeExtension(new WebSocketExtensionData(PerMessageDeflate.EXTENSION,
      Map.of("server_max_window_bits", "10"))), "a server window under 15 bits");
    WebSocketServerExtension noContext = handshaker.handshakeExtension(new WebSocketExtensionData(PerMessageDeflate.EXTENSION,
      Map.of("server_no_context_takeover", "", "client_no_context_takeover", "")));
    assertNotNull(noContext, "server_no_context_takeover is accepted");
    assertTrue(noContext.newReponseData().parameters().containsKey("client_no_context_takeover"));
    assertThrows(IllegalArgumentException.class, () -> PerMessageDeflate.handshaker(LIMITS, 0));
  }

  @Test
  void enableTurnsOnPerMessageCompressionOnly() {
    HttpServerOptions options = PerMessageDeflate.enable(LIMITS.applyTo(new HttpServerOptions()), 3);
    assertTrue(options.getPerMessageWebSocketCompressionSupported());
    assertFalse(options.getPerFrameWebSocketCompressionSupported());
    assertEquals(3, options.getWebSocketCompressionLevel());
    assertEquals(LIMITS.maxFrame(), options.getMaxWebSocketFrameSize());
    assertInstanceOf(Integer.class, PerMessageDeflate.maxAllocation(LIMITS));
    assertEquals(LIMITS.maxFrame() + 1, PerMessageDeflate.maxAllocation(LIMITS));
  }

  private static long allocatedByThisThread() {
    if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads && threads.isThreadAllocatedMemoryEnabled()) {
      return threads.getThreadAllocatedBytes(Thread.currentThread().getId());
    }
    return -1;
  }
}
