package dev.switchboard.shared.ws;

import dev.switchboard.shared.ws.WebSocketGuard.Listener;
import dev.switchboard.shared.ws.WebSocketGuard.Refusal;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * How a {@link WebSocketGuard} ends a connection it refuses, and what it knows of the closing: a
 * close frame is sent at most once, whoever sends it; a refusal happens at most once, and is heard
 * by the guard's {@link Listener} before the close frame is written and the channel closed at once
 * (with a reset for a peer that does not read).
 */
final class GuardClose {

  /** Under the guard's name, as before it was split, so that log settings keep matching. */
  private static final Logger log = LoggerFactory.getLogger(WebSocketGuard.class);

  /** Longest reason a close frame can carry: 125 bytes of payload less the 2-byte code. */
  static final int MAX_REASON_BYTES = 123;

  private final Listener listener;
  private boolean closeSent;
  private boolean refused;

  GuardClose(Listener listener) {
    this.listener = listener;
  }

  /** Whether a close frame has gone towards the peer: after it, nothing more is sent. */
  boolean closeSent() {
    return closeSent;
  }

  /** Notes a close frame written towards the peer by anyone (Vert.x, the application). */
  void sent() {
    closeSent = true;
  }

  /** Whether the guard has refused the peer: frames that arrive after that are dropped. */
  boolean refused() {
    return refused;
  }

  /**
   * Closes the connection of {@code context} for {@code refusal}: the listener hears it, the close
   * frame is written and flushed (unless one was sent before), and the channel is closed at once. A
   * close frame the socket cannot take now is dropped with the connection: the peer is not reading
   * anyway.
   */
  void refuse(ChannelHandlerContext context, Refusal refusal, String detail) {
    if (refused) {
      return;
    }
    refused = true;
    log.debug("WebSocket from {} refused ({} {}): {}", context.channel().remoteAddress(), refusal.code(), refusal.reason(), detail);
    try {
      listener.refused(refusal);
    } catch (RuntimeException e) {
      log.warn("WebSocket guard listener failed", e);
    }
    if (context.channel().isActive() && !closeSent) {
      closeSent = true;
      context.writeAndFlush(new CloseWebSocketFrame(refusal.code(), reason(detail, refusal)));
    }
    if (refusal == Refusal.NOT_READING && context.channel().isActive()) {
      // A reset, not a FIN: a FIN would wait in the kernel behind all the peer never read (megabytes
      // held, and a relay in front of the peer, not reading either, would never see the end), a
      // reset drops them and reaches the peer at once.
      context.channel().config().setOption(ChannelOption.SO_LINGER, 0);
    }
    context.close();
  }

  /** The detail when it fits in a close frame, else the refusal's own short reason. */
  private static String reason(String detail, Refusal refusal) {
    if (detail == null || detail.getBytes(StandardCharsets.UTF_8).length > MAX_REASON_BYTES) {
      return refusal.reason();
    }
    return detail;
  }
}
