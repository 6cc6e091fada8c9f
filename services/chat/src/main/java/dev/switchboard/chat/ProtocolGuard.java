package dev.switchboard.chat;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.util.ReferenceCountUtil;

/**
 * Answers RFC 6455 protocol violations with the close frame the RFC asks for. Vert.x 5.0.8
 * configures Netty's frame decoder with {@code closeOnProtocolViolation(false)} and then drops
 * the TCP connection on the decoder's error, so a peer that sends reserved bits, a fragmented or
 * oversized control frame, a bad close code or a frame above the size limit gets no close code
 * at all. Placed between the decoder and Vert.x's handler, this sends the decoder's status (1002,
 * or 1009 for a frame too large) before Vert.x closes. It also refuses close codes of 5000 and
 * above, which Netty lets through although RFC 6455 defines none, and can drop a connection
 * at once (see {@link #abort()}).
 */
final class ProtocolGuard extends ChannelInboundHandlerAdapter {

  static final String NAME = "switchboard-chat-protocol-guard";
  /** Close codes from here up are undefined by RFC 6455 (4000-4999 is the last, private, range). */
  static final int FIRST_UNDEFINED_CLOSE_CODE = 5000;

  private ChannelHandlerContext context;

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    context = ctx;
  }

  /**
   * Writes without flushing; released if the channel is gone. Chat events are written this way
   * as bytes already framed (they pass the frame encoder untouched), gathered per connection and
   * flushed once per event-loop turn.
   */
  boolean write(Object frame) {
    if (context == null || !context.channel().isActive()) {
      ReferenceCountUtil.release(frame);
      return false;
    }
    context.write(frame, context.voidPromise());
    return true;
  }

  /** The channel's allocator (pooled), for a connection's outbound bytes. */
  ByteBufAllocator alloc() {
    return context != null ? context.alloc() : ByteBufAllocator.DEFAULT;
  }

  void flush() {
    if (context != null) {
      context.flush();
    }
  }

  /** False once more than the write-queue bound (the channel's high water mark) waits to be sent. */
  boolean isWritable() {
    return context != null && context.channel().isWritable();
  }

  /**
   * Closes the TCP connection now, dropping whatever is queued. Closing through the channel
   * would pass Vert.x's handler, which first waits for the queue to drain: never, for a peer that
   * does not read.
   */
  void abort() {
    if (context != null) {
      context.close();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof CorruptedWebSocketFrameException corrupted && ctx.channel().isActive()) {
      WebSocketCloseStatus status = corrupted.closeStatus() != null ? corrupted.closeStatus() : WebSocketCloseStatus.PROTOCOL_ERROR;
      // Written and flushed now, before Vert.x's handler (next in line) closes the channel.
      ctx.writeAndFlush(new CloseWebSocketFrame(status.code(), status.reasonText()));
    }
    ctx.fireExceptionCaught(cause);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof CloseWebSocketFrame close && close.statusCode() >= FIRST_UNDEFINED_CLOSE_CODE) {
      close.release();
      ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.PROTOCOL_ERROR.code(), "invalid close code"))
        .addListener(ChannelFutureListener.CLOSE);
      return;
    }
    ctx.fireChannelRead(msg);
  }
}
