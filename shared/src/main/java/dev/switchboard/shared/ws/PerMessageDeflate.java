package dev.switchboard.shared.ws;

import dev.switchboard.shared.Require;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionDecoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.VertxHandler;

/**
 * {@code permessage-deflate} (RFC 7692) on a Vert.x server whose WebSockets a {@link WebSocketGuard}
 * holds, with every inflated frame bounded before it is allocated.
 *
 * <p>Vert.x 5.0.8 negotiates the extension with Netty's {@link PerMessageDeflateServerExtensionHandshaker}
 * built without a bound ({@code HttpServerConnectionHandler.initializeWebSocketExtensions}): Netty's
 * inflater then hands on what it inflates in pieces, all of them kept for the frame, and the
 * decoder's {@code maxWebSocketFrameSize} counts the compressed bytes. A 64 KiB frame of zeros
 * would be 64 MiB on the heap before any limit looked at it. {@link #bound} swaps that handshaker,
 * in each connection's pipeline before its request is read, for one whose inflater stops at
 * {@code maxFrame + 1} bytes a frame ({@code maxAllocation}; past it Netty throws, the guard closes
 * with 1009). The guard stands after the inflater: it counts inflated bytes against
 * {@code maxFrame} and {@code maxMessage} as for any frame, so a message of many small compressed
 * frames is refused at {@code maxMessage}, each frame having cost at most {@code maxFrame + 1} bytes.
 *
 * <p>The server accepts a client's {@code server_no_context_takeover} and grants its
 * {@code client_no_context_takeover} (then no inflater outlives a message); it refuses an offer with
 * {@code server_max_window_bits}, as a writer that compresses frames itself (chat) uses a 15-bit
 * window. A client that does not offer the extension, or a connection through a relay that
 * negotiates none (the gateway's, {@link WebSocketLimits#applyTo}), gets none, and a frame with
 * RSV1 from it is still refused with 1002 by the guard.
 *
 * <pre>{@code
 * HttpServerOptions options = PerMessageDeflate.enable(limits.applyTo(new HttpServerOptions()), level);
 * vertx.createHttpServer(options).connectionHandler(connection -> PerMessageDeflate.bound(connection, limits, level));
 * }</pre>
 */
public final class PerMessageDeflate {

  /** The extension's token in {@code Sec-WebSocket-Extensions}. */
  public static final String EXTENSION = "permessage-deflate";
  /** zlib's levels: 1 fastest, 9 smallest. */
  public static final int MIN_LEVEL = 1;
  public static final int MAX_LEVEL = 9;
  /** zlib's own default: most of the gain of 9 at a fraction of its cost. */
  public static final int DEFAULT_LEVEL = 6;
  /** The name Vert.x 5.0.8 gives its extension handler in a connection's pipeline. */
  static final String VERTX_HANDLER_NAME = "webSocketExtensionHandler";

  private PerMessageDeflate() {
  }

  /**
   * Turns permessage-deflate on in {@code options}, after {@link WebSocketLimits#applyTo} turned it
   * off: the frame decoder then lets reserved bits through to the inflater and the guard, and Vert.x
   * puts its extension handler in each connection's pipeline, for {@link #bound} to replace.
   */
  public static HttpServerOptions enable(HttpServerOptions options, int level) {
    Require.range("compression level", level, MIN_LEVEL, MAX_LEVEL);
    return options
      .setPerMessageWebSocketCompressionSupported(true)
      .setPerFrameWebSocketCompressionSupported(false)
      .setWebSocketCompressionLevel(level)
      .setWebSocketAllowServerNoContext(true)
      .setWebSocketPreferredClientNoContext(true);
  }

  /**
   * In the server's connection handler, before the connection's first request is read: the
   * extension is negotiated by a handshaker whose inflater stops at {@code limits.maxFrame() + 1}
   * bytes a frame. Replaces Vert.x's handler, or adds one in front of Vert.x's handler if Vert.x put
   * none there (so that no connection of a server that calls this ever inflates without a bound).
   */
  public static void bound(HttpConnection connection, WebSocketLimits limits, int level) {
    if (!(connection instanceof ConnectionBase base)) {
      throw new IllegalArgumentException("not a Vert.x connection with a channel: " + connection.getClass().getName());
    }
    ChannelPipeline pipeline = base.channelHandlerContext().pipeline();
    WebSocketServerExtensionHandler bounded = new WebSocketServerExtensionHandler(handshaker(limits, level));
    ChannelHandlerContext vertx = pipeline.context(WebSocketServerExtensionHandler.class);
    if (vertx != null) {
      pipeline.replace(vertx.name(), vertx.name(), bounded);
    } else if (pipeline.context(VertxHandler.class) != null) {
      pipeline.addBefore(pipeline.context(VertxHandler.class).name(), VERTX_HANDLER_NAME, bounded);
    }
  }

  /** The bounded handshaker {@link #bound} installs; also for a pipeline built by hand. */
  public static PerMessageDeflateServerExtensionHandshaker handshaker(WebSocketLimits limits, int level) {
    Require.range("compression level", level, MIN_LEVEL, MAX_LEVEL);
    return new PerMessageDeflateServerExtensionHandshaker(level, false, PerMessageDeflateServerExtensionHandshaker.MAX_WINDOW_SIZE,
      true, true, maxAllocation(limits));
  }

  /**
   * The inflater's bound a frame: one byte over {@code maxFrame}, so that a frame of exactly
   * {@code maxFrame} bytes always fits whatever its compressed form, and the guard, not the
   * inflater, refuses {@code maxFrame + 1}. Never 0, which would mean no bound to Netty.
   */
  static int maxAllocation(WebSocketLimits limits) {
    return limits.maxFrame() == Integer.MAX_VALUE ? Integer.MAX_VALUE : limits.maxFrame() + 1;
  }

  /**
   * Whether {@code ws} (straight from Vert.x) negotiated the extension: Netty put its encoder and
   * decoder in the channel once the 101 was written, which is before {@code toWebSocket()}
   * completes unless the socket could not take the 101 at once.
   */
  public static boolean negotiated(WebSocket ws) {
    if (!(ws instanceof WebSocketInternal internal)) {
      return false;
    }
    ChannelPipeline pipeline = internal.channelHandlerContext().pipeline();
    return pipeline.get(WebSocketExtensionEncoder.class) != null && pipeline.get(WebSocketExtensionDecoder.class) != null;
  }
}
