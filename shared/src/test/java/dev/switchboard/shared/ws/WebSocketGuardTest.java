package dev.switchboard.shared.ws;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The guard without sockets: client frames fed as bytes through Netty's server decoder (configured
 * as Vert.x configures it), split at every boundary, what reaches the next handler and what the
 * guard writes back.
 */
class WebSocketGuardTest {

  private static final int TEXT = 0x1;
  private static final int BINARY = 0x2;
  private static final int CONTINUATION = 0x0;
  private static final int CLOSE = 0x8;
  private static final int PING = 0x9;

  private static final WebSocketLimits LIMITS = new WebSocketLimits(1024, 4096, 64 * 1024, 2, 3);

  /** A server pipeline: decoder, encoder, guard, and a handler that keeps what the guard passes on. */
  private static final class Server {
    final EmbeddedChannel channel;
    final List<WebSocketFrame> passed = new ArrayList<>();
    final List<WebSocketGuard.Refusal> refusals = new ArrayList<>();
    int pings;

    Server(WebSocketLimits limits) {
      WebSocketGuard.Listener listener = new WebSocketGuard.Listener() {
        @Override
        public void refused(WebSocketGuard.Refusal refusal) {
          refusals.add(refusal);
        }

        @Override
        public void pinged() {
          pings++;
        }
      };
      channel = new EmbeddedChannel(
        new WebSocket13FrameEncoder(false),
        new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
          .expectMaskedFrames(true).allowExtensions(false).maxFramePayloadLength(limits.maxFrame())
          .allowMaskMismatch(false).closeOnProtocolViolation(false).build()),
        new WebSocketGuard(limits, listener),
        new ChannelInboundHandlerAdapter() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            passed.add((WebSocketFrame) msg);
          }

          @Override
          public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Vert.x's handler would close the channel here; the guard has already.
          }
        });
    }

    void send(byte[] bytes) {
      channel.writeInbound(Unpooled.wrappedBuffer(bytes));
      channel.runPendingTasks();
    }

    /** The frames the guard wrote back, decoded. */
    List<Frame> answers() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      Object written;
      while ((written = channel.readOutbound()) != null) {
        ByteBuf buf = (ByteBuf) written;
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        buf.release();
        out.writeBytes(bytes);
      }
      return Frame.parse(out.toByteArray());
    }

    int closeCode() {
      List<Frame> answers = answers();
      assertFalse(answers.isEmpty(), "a close frame");
      Frame last = answers.get(answers.size() - 1);
      assertEquals(CLOSE, last.opcode());
      assertFalse(channel.isActive(), "closed after the close frame");
      return last.closeCode();
    }

    void release() {
      passed.forEach(ReferenceCountUtil::release);
      channel.finishAndReleaseAll();
    }
  }

  private record Frame(boolean fin, int opcode, byte[] payload) {
    int closeCode() {
      return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
    }

    static List<Frame> parse(byte[] bytes) {
      List<Frame> frames = new ArrayList<>();
      int i = 0;
      while (i < bytes.length) {
        int b0 = bytes[i++] & 0xff;
        int length = bytes[i++] & 0x7f;
        if (length == 126) {
          length = ((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff);
          i += 2;
        }
        frames.add(new Frame((b0 & 0x80) != 0, b0 & 0x0f, Arrays.copyOfRange(bytes, i, i + length)));
        i += length;
      }
      return frames;
    }
  }

  static byte[] frame(boolean fin, int rsv, int opcode, byte[] payload) {
    ByteArrayOutputStream frame = new ByteArrayOutputStream();
    frame.write((fin ? 0x80 : 0) | (rsv << 4) | opcode);
    if (payload.length < 126) {
      frame.write(0x80 | payload.length);
    } else {
      frame.write(0x80 | 126);
      frame.write(payload.length >> 8);
      frame.write(payload.length & 0xff);
    }
    byte[] mask = {0x37, (byte) 0xfa, 0x21, 0x3d};
    frame.writeBytes(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.write(payload[i] ^ mask[i % 4]);
    }
    return frame.toByteArray();
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }

  // ---- UTF-8

  @Test
  void validTextSplitAtEveryByteBoundaryPassesEveryFragment() {
    byte[] text = utf8("aé€😀b𝄞");
    for (int split = 0; split <= text.length; split++) {
      Server server = new Server(LIMITS);
      server.send(concat(
        frame(false, 0, TEXT, Arrays.copyOfRange(text, 0, split)),
        frame(true, 0, CONTINUATION, Arrays.copyOfRange(text, split, text.length))));
      assertEquals(2, server.passed.size(), "split at " + split);
      assertTrue(server.refusals.isEmpty());
      assertTrue(server.channel.isActive());
      server.release();
    }
  }

  @Test
  void validTextOneByteAFragmentPasses() {
    byte[] text = utf8("€😀é");
    Server server = new Server(LIMITS);
    for (int i = 0; i < text.length; i++) {
      server.send(frame(i == text.length - 1, 0, i == 0 ? TEXT : CONTINUATION, new byte[] {text[i]}));
    }
    assertEquals(text.length, server.passed.size());
    assertTrue(server.channel.isActive());
    server.release();
  }

  @Test
  void invalidUtf8IsRefusedInTheFragmentWhereItAppearsBeforeTheMessageEnds() {
    Server server = new Server(LIMITS);
    server.send(frame(false, 0, TEXT, utf8("fine so far")));
    server.send(frame(false, 0, CONTINUATION, new byte[] {'x', (byte) 0xC3, 0x28}));
    assertEquals(1007, server.closeCode());
    assertEquals(List.of(WebSocketGuard.Refusal.INVALID_UTF8), server.refusals);
    assertEquals(1, server.passed.size(), "the invalid fragment is not passed on");
    server.release();
  }

  @Test
  void textEndingInsideACharacterIsRefused() {
    Server server = new Server(LIMITS);
    server.send(frame(true, 0, TEXT, new byte[] {'a', (byte) 0xE2, (byte) 0x82}));
    assertEquals(1007, server.closeCode());
    server.release();
  }

  @Test
  void binaryMessagesAreNotCheckedAsText() {
    Server server = new Server(LIMITS);
    server.send(frame(true, 0, BINARY, new byte[] {(byte) 0xC0, (byte) 0xFF}));
    assertEquals(1, server.passed.size());
    assertTrue(server.channel.isActive());
    server.release();
  }

  @ParameterizedTest
  @ValueSource(strings = {"C0AF", "E080AF", "F08080AF", "EDA080", "EDBFBF", "F4908080", "F5808080", "80", "BF", "FE", "FF", "C328", "E228A1"})
  void refusesWhatRfc3629Forbids(String hex) {
    assertEquals(Utf8.REJECT, Utf8.validate(Utf8.ACCEPT, Unpooled.wrappedBuffer(hex(hex))), hex);
  }

  @ParameterizedTest
  @ValueSource(strings = {"00", "7F", "C280", "DFBF", "E0A080", "ED9FBF", "EE8080", "EFBFBF", "F0908080", "F48FBFBF"})
  void acceptsTheEdgesOfEachForm(String hex) {
    assertEquals(Utf8.ACCEPT, Utf8.validate(Utf8.ACCEPT, Unpooled.wrappedBuffer(hex(hex))), hex);
  }

  @Test
  void agreesWithTheJdkDecoderOnRandomBytesSplitAnywhere() {
    Random random = new Random(6455);
    for (int round = 0; round < 20_000; round++) {
      byte[] bytes = new byte[random.nextInt(24)];
      for (int i = 0; i < bytes.length; i++) {
        // Mostly bytes that start or continue multi-byte forms, where the mistakes would be.
        bytes[i] = (byte) (random.nextInt(4) == 0 ? random.nextInt(0x80) : 0x80 + random.nextInt(0x80));
      }
      boolean jdk = isUtf8(bytes);
      int split = bytes.length == 0 ? 0 : random.nextInt(bytes.length + 1);
      int state = Utf8.validate(Utf8.ACCEPT, Unpooled.wrappedBuffer(bytes, 0, split));
      state = Utf8.validate(state, Unpooled.wrappedBuffer(bytes, split, bytes.length - split));
      assertEquals(jdk, state == Utf8.ACCEPT, () -> "bytes " + Arrays.toString(bytes));
    }
  }

  private static boolean isUtf8(byte[] bytes) {
    try {
      StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  private static byte[] hex(String hex) {
    byte[] bytes = new byte[hex.length() / 2];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    }
    return bytes;
  }

  // ---- sizes

  @Test
  void messageAtTheLimitInFragmentsPassesAndOneByteMoreIs1009() {
    Server fits = new Server(LIMITS);
    fits.send(concat(frame(false, 0, BINARY, new byte[1024]), frame(false, 0, CONTINUATION, new byte[1024]),
      frame(false, 0, CONTINUATION, new byte[1024]), frame(true, 0, CONTINUATION, new byte[1024])));
    assertEquals(4, fits.passed.size());
    assertTrue(fits.channel.isActive());
    fits.release();

    Server over = new Server(LIMITS);
    over.send(concat(frame(false, 0, BINARY, new byte[1024]), frame(false, 0, CONTINUATION, new byte[1024]),
      frame(false, 0, CONTINUATION, new byte[1024]), frame(false, 0, CONTINUATION, new byte[1024]),
      frame(true, 0, CONTINUATION, new byte[1])));
    assertEquals(1009, over.closeCode());
    assertEquals(List.of(WebSocketGuard.Refusal.MESSAGE_TOO_BIG), over.refusals);
    over.release();
  }

  @Test
  void eachMessageIsCountedFromItsFirstFrame() {
    Server server = new Server(LIMITS);
    for (int i = 0; i < 10; i++) {
      server.send(frame(true, 0, TEXT, new byte[1000]));
    }
    assertEquals(10, server.passed.size());
    assertTrue(server.channel.isActive());
    server.release();
  }

  @Test
  void frameOverTheDecoderLimitIs1009FromItsHeader() {
    Server server = new Server(LIMITS);
    byte[] header = {(byte) 0x82, (byte) (0x80 | 127), 0, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4}; // 64 MiB declared
    server.send(header);
    assertEquals(1009, server.closeCode());
    assertEquals(List.of(WebSocketGuard.Refusal.MESSAGE_TOO_BIG), server.refusals);
    server.release();
  }

  // ---- control frames

  @Test
  void pingIsAnsweredByTheGuardWithItsPayloadAndNotPassedOn() {
    Server server = new Server(LIMITS);
    server.send(frame(true, 0, PING, new byte[] {1, 2, 3}));
    List<Frame> answers = server.answers();
    assertEquals(1, answers.size());
    assertEquals(0xA, answers.get(0).opcode());
    assertArrayEquals(new byte[] {1, 2, 3}, answers.get(0).payload());
    assertTrue(server.passed.isEmpty());
    assertEquals(1, server.pings);
    server.release();
  }

  @Test
  void pingsBeyondTheBurstAre1008() {
    Server server = new Server(LIMITS);
    byte[] pings = concat(frame(true, 0, PING, new byte[0]), frame(true, 0, PING, new byte[0]),
      frame(true, 0, PING, new byte[0]), frame(true, 0, PING, new byte[0]));
    server.send(pings);
    List<Frame> answers = server.answers();
    assertEquals(List.of(0xA, 0xA, 0xA, CLOSE), answers.stream().map(Frame::opcode).toList());
    assertEquals(1008, answers.get(3).closeCode());
    assertEquals(List.of(WebSocketGuard.Refusal.TOO_MANY_PINGS), server.refusals);
    server.release();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 32768, 65535})
  void invalidCloseCodesAre1002(int code) {
    Server server = new Server(LIMITS);
    server.send(frame(true, 0, CLOSE, new byte[] {(byte) (code >> 8), (byte) code}));
    assertEquals(1002, server.closeCode());
    assertTrue(server.passed.isEmpty());
    server.release();
  }

  @ParameterizedTest
  @ValueSource(ints = {1000, 1001, 1003, 1007, 1011, 1014, 3000, 4999})
  void validCloseCodesArePassedOn(int code) {
    Server server = new Server(LIMITS);
    server.send(frame(true, 0, CLOSE, new byte[] {(byte) (code >> 8), (byte) code}));
    assertEquals(1, server.passed.size());
    assertTrue(server.refusals.isEmpty());
    server.release();
  }

  @Test
  void reservedBitsFromAPermissiveDecoderAre1002() {
    // A decoder that allows extensions lets RSV through; with none negotiated the guard still refuses them.
    EmbeddedChannel channel = new EmbeddedChannel(
      new WebSocket13FrameEncoder(false),
      new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder().expectMaskedFrames(true).allowExtensions(true)
        .maxFramePayloadLength(1024).closeOnProtocolViolation(false).build()),
      new WebSocketGuard(LIMITS, WebSocketGuard.Listener.NONE));
    channel.writeInbound(Unpooled.wrappedBuffer(frame(true, 4, TEXT, utf8("x"))));
    ByteBuf written = channel.readOutbound();
    assertEquals(0x88, written.getByte(0) & 0xff);
    assertEquals(1002, written.getUnsignedShort(2));
    written.release();
    assertFalse(channel.isActive());
    assertNull(channel.readInbound());
    channel.finishAndReleaseAll();
  }

  @Test
  void decoderViolationsAreAnsweredWithTheDecoderStatus() {
    Server server = new Server(LIMITS);
    server.send(frame(true, 0, 0x3, new byte[0])); // reserved opcode
    assertEquals(1002, server.closeCode());
    assertEquals(List.of(WebSocketGuard.Refusal.PROTOCOL_ERROR), server.refusals);
    server.release();
  }

  @Test
  void aCloseAlreadySentIsNotFollowedByAnother() {
    Server server = new Server(LIMITS);
    server.channel.writeAndFlush(new io.netty.handler.codec.http.websocketx.CloseWebSocketFrame(1001, "bye"));
    server.send(frame(true, 0, 0x3, new byte[0]));
    List<Frame> answers = server.answers();
    assertEquals(1, answers.size());
    assertEquals(1001, answers.get(0).closeCode());
    assertFalse(server.channel.isActive());
    server.release();
  }
}
