package dev.switchboard.shared.ws;

import dev.switchboard.shared.ws.FrameChecks.Violation;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.WebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.VertxHandler;

/**
 * Holds one WebSocket connection to RFC 6455 and to its {@link WebSocketLimits}, whichever side of
 * it Vert.x is on. A Netty handler placed between the frame decoder and Vert.x's handler (see
 * {@link #install}); every violation is answered with the close code the RFC asks for, then the
 * TCP connection is dropped:
 * <ul>
 *   <li>decoder errors with the decoder's status (1002; 1009 for a frame over the limit; 1007 for
 *       a close reason that is not UTF-8), which Vert.x 5.0.8 would drop without a close frame;</li>
 *   <li>a close code that may not be sent (below 1000, 1004-1006, 1015-2999, 5000 and up, some of
 *       which Netty lets through): 1002; a reserved bit left set: 1002;</li>
 *   <li>a text message that is not UTF-8, checked fragment by fragment as it arrives: 1007;</li>
 *   <li>a message longer than {@code maxMessage}, its fragments together: 1009;</li>
 *   <li>pings beyond {@code pingRate}/{@code pingBurst}: 1008. The guard answers pings itself
 *       (a pong with the same payload, flushed at the end of the read) and does not pass them on,
 *       so Vert.x never queues a pong of its own behind a peer that does not read;</li>
 *   <li>more than {@code writeQueueMax} bytes still waiting for the peer after a flush, whoever
 *       wrote them (the guard's pongs, Vert.x, the application): the peer is cut off, 1008 attempted.</li>
 * </ul>
 * When it refuses a peer the guard writes the close frame (unless one was sent already), closes the
 * channel at once (a peer that does not read would never complete a closing handshake) and tells
 * its {@link Listener} first. It knows one extension: with compression off, as
 * {@link WebSocketLimits#applyTo} sets it, a reserved bit is a protocol error; with
 * permessage-deflate negotiated ({@link PerMessageDeflate}), it stands after the inflater, sees
 * every frame inflated and RSV1 cleared, and closes with 1009 a frame the inflater stopped at its
 * bound (1002 for data that is not deflate).
 *
 * <p>The guard is the handler and its public surface: it installs itself, passes each frame on or
 * refuses it, answers pings, and watches what is written and flushed. What a frame is judged by is
 * its {@link FrameChecks}; how it ends a connection it refuses, its {@link GuardClose}. Its
 * per-connection state is those two and a few numbers and flags in them; nothing is allocated
 * per frame but the pongs. All of it runs on the connection's event loop.
 */
public final class WebSocketGuard extends ChannelDuplexHandler {

  /** Its name in the channel pipeline. */
  public static final String NAME = "switchboard-websocket-guard";

  /** Why a guard closed a connection; {@link #code()} is the close code it sent. */
  public enum Refusal {
    /** A frame or close code RFC 6455 forbids, or a reserved bit without an extension. */
    PROTOCOL_ERROR(CloseCodes.PROTOCOL_ERROR, "protocol error"),
    /** A text message (or a close reason) that is not UTF-8. */
    INVALID_UTF8(CloseCodes.INVALID_PAYLOAD, "invalid UTF-8"),
    /** Pings faster than {@code pingRate}, beyond {@code pingBurst}. */
    TOO_MANY_PINGS(CloseCodes.POLICY_VIOLATION, "too many pings"),
    /** More than {@code writeQueueMax} bytes wait for the peer: it does not read. */
    NOT_READING(CloseCodes.POLICY_VIOLATION, "not reading"),
    /** A frame longer than {@code maxFrame} or a message longer than {@code maxMessage}. */
    MESSAGE_TOO_BIG(CloseCodes.MESSAGE_TOO_BIG, "message too big");

    private final short code;
    private final String reason;

    Refusal(short code, String reason) {
      this.code = code;
      this.reason = reason;
    }

    public short code() {
      return code;
    }

    public String reason() {
      return reason;
    }

    static Refusal of(WebSocketCloseStatus status) {
      if (status != null && status.code() == CloseCodes.MESSAGE_TOO_BIG) {
        return MESSAGE_TOO_BIG;
      }
      if (status != null && status.code() == CloseCodes.INVALID_PAYLOAD) {
        return INVALID_UTF8;
      }
      return PROTOCOL_ERROR;
    }
  }

  /** What the guard tells the owner of the connection; called on the connection's event loop. */
  public interface Listener {

    /** A listener that wants to hear nothing. */
    Listener NONE = refusal -> { };

    /**
     * The guard is closing the connection for {@code refusal}: the close frame is being written and
     * the channel closed right after this returns (Vert.x's close handler follows).
     */
    void refused(Refusal refusal);

    /** A ping arrived and was answered; Vert.x never sees pings, so this is how a peer's liveness shows. */
    default void pinged() {
    }
  }

  private final WebSocketLimits limits;
  private final Listener listener;
  private final FrameChecks checks;
  private final GuardClose close;
  private ChannelHandlerContext context;
  private boolean pongsUnflushed;

  /** A guard to add to a pipeline by hand; {@link #install} does it for a Vert.x WebSocket. */
  public WebSocketGuard(WebSocketLimits limits, Listener listener) {
    this.limits = limits;
    this.listener = listener == null ? Listener.NONE : listener;
    this.checks = new FrameChecks(limits);
    this.close = new GuardClose(this.listener);
  }

  /**
   * Puts a guard in front of Vert.x's handler of {@code ws}, a {@code ServerWebSocket} or a client
   * {@code WebSocket} straight from Vert.x (not one wrapped by a router). Call it in the callback
   * that hands the WebSocket over, on its event loop, before anything is read from it: frames
   * decoded earlier pass unchecked.
   */
  public static WebSocketGuard install(WebSocket ws, WebSocketLimits limits, Listener listener) {
    if (!(ws instanceof WebSocketInternal internal)) {
      throw new IllegalArgumentException("not a Vert.x WebSocket with a channel: " + ws.getClass().getName());
    }
    ChannelHandlerContext vertx = internal.channelHandlerContext();
    WebSocketGuard guard = new WebSocketGuard(limits, listener);
    vertx.pipeline().addBefore(vertx.name(), NAME, guard);
    return guard;
  }

  /**
   * As {@link #install(WebSocket, WebSocketLimits, Listener)}, for a {@code ServerWebSocket} a
   * router wrapped (vertx-web's wrapper has no channel of its own): reached through {@code upgraded},
   * the HTTP connection whose channel the WebSocket took over ({@code request.connection()}).
   * Call it in the callback of {@code toWebSocket()}.
   */
  public static WebSocketGuard install(HttpConnection upgraded, WebSocketLimits limits, Listener listener) {
    if (!(upgraded instanceof ConnectionBase connection)) {
      throw new IllegalArgumentException("not a Vert.x connection with a channel: " + upgraded.getClass().getName());
    }
    ChannelPipeline pipeline = connection.channelHandlerContext().pipeline();
    ChannelHandlerContext vertx = pipeline.context(VertxHandler.class);
    if (vertx == null) {
      throw new IllegalStateException("the connection's channel has no Vert.x handler: closed already?");
    }
    WebSocketGuard guard = new WebSocketGuard(limits, listener);
    pipeline.addBefore(vertx.name(), NAME, guard);
    return guard;
  }

  public WebSocketLimits limits() {
    return limits;
  }

  /**
   * Runs {@code action} on the event loop when the connection's channel closes, whatever closed
   * it: at once, even while Vert.x holds the close back behind frames of a paused WebSocket.
   */
  public void whenClosed(Runnable action) {
    context.channel().closeFuture().addListener(done -> action.run());
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    context = ctx;
  }

  // ---- for writers that bypass Vert.x (pre-framed bytes)

  /**
   * Writes {@code frame} (a Netty WebSocket frame, or bytes already framed) towards the peer
   * without flushing; released, and false, when the channel is gone.
   */
  public boolean write(Object frame) {
    if (context == null || !context.channel().isActive()) {
      ReferenceCountUtil.release(frame);
      return false;
    }
    context.write(frame, context.voidPromise());
    return true;
  }

  /** Flushes, then cuts the peer off if more than {@code writeQueueMax} bytes still wait for it. */
  public void flush() {
    if (context != null) {
      context.flush();
      checkQueue();
    }
  }

  /** The channel's allocator, for a connection's outbound bytes. */
  public ByteBufAllocator alloc() {
    return context != null ? context.alloc() : ByteBufAllocator.DEFAULT;
  }

  /** False while more than the channel's high-water mark waits to be sent. */
  public boolean isWritable() {
    return context != null && context.channel().isWritable();
  }

  /**
   * Closes the TCP connection now, dropping whatever is queued. Closing through the channel
   * would pass Vert.x's handler, which first waits for the queue to drain: never, for a peer that
   * does not read.
   */
  public void abort() {
    if (context != null) {
      context.close();
    }
  }

  /** Treats the peer as not reading: close 1008 attempted and the connection dropped, as at the write-queue bound. */
  public void cutOff() {
    if (context != null && !context.executor().inEventLoop()) {
      context.executor().execute(this::cutOff);
      return;
    }
    refuse(Refusal.NOT_READING, "not reading");
  }

  // ---- inbound

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof WebSocketFrame frame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (close.refused()) {
      frame.release();
      return;
    }
    Violation wrong = checks.check(frame);
    if (wrong != null) {
      frame.release();
      refuse(wrong.refusal(), wrong.detail());
    } else if (frame instanceof PingWebSocketFrame) {
      ping(ctx, frame);
    } else {
      ctx.fireChannelRead(frame);
    }
  }

  private void ping(ChannelHandlerContext ctx, WebSocketFrame ping) {
    if (close.closeSent()) {
      ping.release(); // closing: nothing more is sent
      return;
    }
    Violation tooMany = checks.ping();
    if (tooMany != null) {
      ping.release();
      refuse(tooMany.refusal(), tooMany.detail());
      return;
    }
    ctx.write(new PongWebSocketFrame(ping.content()), ctx.voidPromise()); // the ping's payload, now the pong's
    pongsUnflushed = true;
    listener.pinged();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (pongsUnflushed) {
      pongsUnflushed = false;
      ctx.flush();
      checkQueue();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Violation wrong = checks.thrown(cause, ctx.pipeline());
    if (wrong != null) {
      refuse(wrong.refusal(), wrong.detail());
    }
    ctx.fireExceptionCaught(cause);
  }

  // ---- outbound

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof CloseWebSocketFrame) {
      close.sent();
    }
    ctx.write(msg, promise);
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    ctx.flush();
    checkQueue();
  }

  private void checkQueue() {
    if (close.refused()) {
      return;
    }
    ChannelOutboundBuffer queued = context.channel().unsafe().outboundBuffer();
    if (queued != null && queued.totalPendingWriteBytes() > limits.writeQueueMax()) {
      refuse(Refusal.NOT_READING, queued.totalPendingWriteBytes() + " bytes queued, more than " + limits.writeQueueMax());
    }
  }

  /** Closes the connection for {@code refusal}, once, as {@link GuardClose#refuse} says. */
  private void refuse(Refusal refusal, String detail) {
    if (context != null) {
      close.refuse(context, refusal, detail);
    }
  }
}
