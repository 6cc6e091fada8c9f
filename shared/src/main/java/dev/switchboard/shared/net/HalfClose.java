package dev.switchboard.shared.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import io.vertx.core.streams.impl.InboundBuffer;

/**
 * Makes a peer's FIN an ordered end of stream instead of a close.
 * <p>
 * Vert.x 5 closes a socket as soon as the peer shuts its output down, dropping whatever the
 * server had queued but not yet written: a client that sends a body, half-closes, then reads the
 * answer (as {@code nc -N}, or Node's {@code socket.end(data)} do) would lose the tail of it.
 * With half-closure allowed, the FIN is handed to Vert.x as the end of the inbound stream, after
 * every byte read before it, so {@code endHandler} runs in order and the server can finish
 * writing before it ends its side.
 */
public final class HalfClose {

  private static final String HANDLER = "switchboard-half-close";
  /** The name Vert.x gives its own handler in a connection's pipeline. */
  private static final String VERTX_HANDLER = "handler";

  private HalfClose() {
  }

  /** Call from the connect handler, before the socket's handlers are set. */
  public static void endOnPeerFin(NetSocket socket) {
    ChannelHandlerContext vertx = ((NetSocketInternal) socket).channelHandlerContext();
    vertx.channel().config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    vertx.pipeline().addBefore(VERTX_HANDLER, HANDLER, new ChannelInboundHandlerAdapter() {
      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof ChannelInputShutdownEvent) {
          // A read batch of its own: Vert.x flushes what the end handler writes when the batch completes.
          ctx.fireChannelRead(InboundBuffer.END_SENTINEL);
          ctx.fireChannelReadComplete();
        }
        super.userEventTriggered(ctx, event);
      }
    });
  }

  /**
   * Ends the sending side of {@code socket} once what was written before is on the wire, keeping
   * its receiving side open: the peer reads an end of stream and may still answer. Returns when
   * the FIN is sent (or the socket was closed meanwhile).
   */
  public static Future<Void> shutdownOutput(NetSocket socket) {
    Channel channel = ((NetSocketInternal) socket).channelHandlerContext().channel();
    Promise<Void> shut = Promise.promise();
    socket.write(Buffer.buffer()).onComplete(flushed -> {
      if (flushed.failed() || !(channel instanceof DuplexChannel duplex) || !channel.isActive()) {
        shut.tryComplete();
        return;
      }
      duplex.shutdownOutput().addListener(done -> shut.tryComplete());
    });
    return shut.future();
  }
}
