package dev.switchboard.shared.ws;

import dev.switchboard.shared.ws.WebSocketGuard.Refusal;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.CodecException;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;

import java.util.zip.DataFormatException;

/**
 * What a peer sends, judged for one {@link WebSocketGuard}: reserved bits; each data frame against
 * {@code maxFrame}, and each message, its fragments together, against {@code maxMessage} and, for
 * text, UTF-8; close frames' code and reason; pings against the {@code pingRate}/{@code pingBurst}
 * bucket; and what the decoder and the inflater threw. It keeps the state of the message being
 * received and of the bucket, a few numbers, and says what is wrong; the guard acts on it.
 */
final class FrameChecks {

  /** Why a frame is refused: the close it gets and a detail for the log and the close reason. */
  record Violation(Refusal refusal, String detail) {
  }

  private final WebSocketLimits limits;
  /** Whether a message is being received, and whether it is text. */
  private boolean inMessage;
  private boolean inText;
  /** {@link Utf8} state of the text message being received. */
  private int utf8;
  /** Bytes of the message being received so far. */
  private int messageBytes;
  private float pingTokens;
  /** When the ping bucket was last refilled ({@link System#nanoTime()}); 0 before the first ping. */
  private long pingClock;

  FrameChecks(WebSocketLimits limits) {
    this.limits = limits;
  }

  /**
   * What is wrong with {@code frame}, or null when it may pass on. A ping is judged here on its
   * header only; its rate is {@link #ping}'s.
   */
  Violation check(WebSocketFrame frame) {
    if (frame.rsv() != 0) {
      return new Violation(Refusal.PROTOCOL_ERROR, "reserved bits set without an extension");
    }
    if (frame instanceof CloseWebSocketFrame) {
      return close(frame.content());
    }
    if (frame instanceof PingWebSocketFrame || frame instanceof PongWebSocketFrame) {
      return null;
    }
    return data(frame);
  }

  private Violation data(WebSocketFrame frame) {
    ByteBuf content = frame.content();
    int length = content.readableBytes();
    if (length > limits.maxFrame()) {
      return new Violation(Refusal.MESSAGE_TOO_BIG, "frame longer than " + limits.maxFrame() + " bytes");
    }
    if (!(frame instanceof ContinuationWebSocketFrame)) {
      // The decoder refuses a new message inside a fragmented one and a continuation without one.
      messageBytes = 0;
      utf8 = Utf8.ACCEPT;
      inMessage = true;
      inText = frame instanceof TextWebSocketFrame;
    } else if (!inMessage) {
      return null; // a message begun before the guard was installed: not its to judge
    }
    if (length > limits.maxMessage() - messageBytes) {
      return new Violation(Refusal.MESSAGE_TOO_BIG, "message longer than " + limits.maxMessage() + " bytes");
    }
    messageBytes += length;
    if (inText) {
      utf8 = Utf8.validate(utf8, content);
      if (utf8 == Utf8.REJECT || frame.isFinalFragment() && utf8 != Utf8.ACCEPT) {
        return new Violation(Refusal.INVALID_UTF8, "text message is not UTF-8");
      }
    }
    if (frame.isFinalFragment()) {
      inMessage = false;
      inText = false;
      messageBytes = 0;
    }
    return null;
  }

  private static Violation close(ByteBuf body) {
    int length = body.readableBytes();
    if (length == 1) {
      return new Violation(Refusal.PROTOCOL_ERROR, "close frame with a 1-byte body");
    }
    if (length >= 2) {
      int code = body.getUnsignedShort(body.readerIndex());
      if (!CloseCodes.isValid(code)) {
        return new Violation(Refusal.PROTOCOL_ERROR, "invalid close code " + code);
      }
      if (length > 2 && Utf8.validate(Utf8.ACCEPT, body, body.readerIndex() + 2, length - 2) != Utf8.ACCEPT) {
        return new Violation(Refusal.INVALID_UTF8, "close reason is not UTF-8");
      }
    }
    return null;
  }

  /** Takes a token for a ping that is to be answered; a violation when the bucket is empty. */
  Violation ping() {
    if (takePingToken()) {
      return null;
    }
    return new Violation(Refusal.TOO_MANY_PINGS, "more than " + limits.pingBurst() + " pings at once, " + limits.pingRate() + " a second");
  }

  /** Token bucket: {@code pingBurst} tokens, refilled at {@code pingRate} a second. */
  private boolean takePingToken() {
    long now = System.nanoTime() | 1; // never 0, which means "no ping yet"
    float burst = limits.pingBurst();
    pingTokens = pingClock == 0 ? burst : Math.min(burst, pingTokens + (now - pingClock) * 1e-9f * limits.pingRate());
    pingClock = now;
    if (pingTokens < 1) {
      return false;
    }
    pingTokens -= 1;
    return true;
  }

  /**
   * What a frame the decoder or an extension's decoder refused, thrown in {@code pipeline}, was
   * guilty of; null for anything else, which is not the guard's to answer.
   */
  Violation thrown(Throwable cause, ChannelPipeline pipeline) {
    if (cause instanceof CorruptedWebSocketFrameException corrupted) {
      // Vert.x configures the decoder not to close on a violation, and drops the connection on the
      // exception: the peer hears the status first.
      return new Violation(Refusal.of(corrupted.closeStatus()), corrupted.getMessage());
    }
    if (cause instanceof DecompressionException decompression) {
      // The inflater of permessage-deflate (PerMessageDeflate): corrupt data comes with zlib's
      // DataFormatException, a frame that would inflate past its bound without.
      if (decompression.getCause() instanceof DataFormatException) {
        return new Violation(Refusal.PROTOCOL_ERROR, "compressed data is not valid deflate");
      }
      return new Violation(Refusal.MESSAGE_TOO_BIG, "frame inflates to more than " + limits.maxFrame() + " bytes");
    }
    if (cause instanceof CodecException && pipeline.get(WebSocketExtensionDecoder.class) != null) {
      // The extension's decoder refused a frame (a compressed continuation without a message...).
      return new Violation(Refusal.PROTOCOL_ERROR, "compressed frame refused: " + cause.getMessage());
    }
    return null;
  }
}
