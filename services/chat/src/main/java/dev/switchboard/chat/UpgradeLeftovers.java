package dev.switchboard.chat;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.internal.http.WebSocketInternal;
import io.vertx.core.net.impl.VertxConnection;
import io.vertx.core.net.impl.VertxHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * Drops what Vert.x 5.0.8 keeps for every upgraded WebSocket but never uses again: about 9 KiB
 * of the 15 KiB of heap an idle chat connection otherwise costs.
 * <ul>
 *   <li>The channel's {@link VertxHandler} keeps the function that created the WebSocket
 *       connection, and with it the upgrade request, its response, their headers and the HTTP/1.x
 *       connection, whose outbound queue alone is a 1025-slot array (4 KiB).</li>
 *   <li>The WebSocket connection gets the same 4 KiB queue, made for writers on other threads.
 *       Every write of this service happens on the connection's event loop, so it is swapped for
 *       the direct queue Vert.x itself uses in its strict thread mode (writes go straight to the
 *       channel; writability follows the channel's).</li>
 *   <li>The WebSocket keeps the request headers ({@link ServerWebSocket#headers()} is null after
 *       this; the chat reads none of them).</li>
 * </ul>
 * Vert.x offers no option for any of this, so it is done by reflection on its internals, each
 * step on its own: on another Vert.x version a step that no longer fits is skipped (logged once)
 * and the connection simply costs more; {@link #available()} tells the tests.
 */
final class UpgradeLeftovers {

  private static final Logger log = LoggerFactory.getLogger(UpgradeLeftovers.class);

  private static final Field FACTORY;
  private static final Field QUEUE;
  private static final Constructor<?> DIRECT_QUEUE;
  private static final Method SET_HEADERS;

  static {
    Field factory = null;
    Field queue = null;
    Constructor<?> direct = null;
    Method headers = null;
    try {
      factory = VertxHandler.class.getDeclaredField("connectionFactory");
      factory.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.info("Vert.x's upgrade handler cannot be trimmed here ({}); idle WebSockets cost more memory", e.toString());
      factory = null;
    }
    try {
      queue = VertxConnection.class.getDeclaredField("outboundMessageQueue");
      queue.setAccessible(true);
      Class<?> directClass = Class.forName(VertxConnection.class.getName() + "$DirectOutboundMessageQueue");
      direct = directClass.getDeclaredConstructor(VertxConnection.class);
      direct.setAccessible(true);
      if (!queue.getType().isAssignableFrom(directClass)) {
        throw new NoSuchFieldException("outboundMessageQueue is a " + queue.getType().getName());
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.info("Vert.x's WebSocket outbound queue cannot be swapped here ({}); idle WebSockets cost more memory", e.toString());
      queue = null;
      direct = null;
    }
    try {
      headers = Class.forName("io.vertx.core.http.impl.WebSocketImplBase").getDeclaredMethod("headers", io.vertx.core.MultiMap.class);
      headers.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.info("Vert.x's WebSocket request headers cannot be released here ({})", e.toString());
      headers = null;
    }
    FACTORY = factory;
    QUEUE = queue;
    DIRECT_QUEUE = direct;
    SET_HEADERS = headers;
  }

  private UpgradeLeftovers() {
  }

  /** True when every step fits this Vert.x version. */
  static boolean available() {
    return FACTORY != null && QUEUE != null && SET_HEADERS != null;
  }

  /**
   * Trims a just-upgraded WebSocket. Must run on the connection's event loop before anything is
   * written to it; the result says how many of the three steps were done.
   */
  static int trim(ServerWebSocket ws) {
    int done = 0;
    ChannelHandlerContext channel = ((WebSocketInternal) ws).channelHandlerContext();
    ChannelHandler handler = channel.handler();
    if (FACTORY != null && handler instanceof VertxHandler<?> vertxHandler) {
      try {
        FACTORY.set(vertxHandler, null); // only read when the handler is added to a pipeline
        done++;
        VertxConnection connection = vertxHandler.getConnection();
        if (QUEUE != null && connection != null) {
          QUEUE.set(connection, DIRECT_QUEUE.newInstance(connection));
          done++;
        }
      } catch (ReflectiveOperationException | RuntimeException e) {
        log.debug("could not trim a WebSocket's upgrade leftovers: {}", e.toString());
      }
    }
    if (SET_HEADERS != null) {
      try {
        SET_HEADERS.invoke(ws, (Object) null);
        done++;
      } catch (ReflectiveOperationException | RuntimeException e) {
        log.debug("could not release a WebSocket's request headers: {}", e.toString());
      }
    }
    return done;
  }
}
