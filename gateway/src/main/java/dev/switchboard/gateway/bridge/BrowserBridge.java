package dev.switchboard.gateway.bridge;

import dev.switchboard.gateway.config.GatewayOptions;
import io.vertx.core.Vertx;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Browsers on the cluster's event bus: vertx-web's SockJS bridge at {@code /eventbus}, letting
 * through only the addresses the configuration names — outbound (the bus to the page, e.g.
 * {@code chat.room.*}, {@code files.changed}) and inbound (the page to the bus, none by default).
 */
public final class BrowserBridge {

  /** Where browsers reach the event bus over SockJS. */
  public static final String PATH = "/eventbus";

  /** Handlers one page may register; a page follows a few rooms, not thousands. */
  static final int MAX_HANDLERS_PER_SOCKET = 100;
  static final int MAX_ADDRESS_LENGTH = 128;
  /** A page that has sent no ping for this long is dropped with its handlers. */
  private static final long PING_TIMEOUT_MS = 30_000;
  private static final long REPLY_TIMEOUT_MS = 10_000;
  /** An HTTP streaming transport starts a new request after this many bytes. */
  private static final int MAX_BYTES_STREAMING = 128 * 1024;

  private BrowserBridge() {
  }

  public static Router router(Vertx vertx, GatewayOptions options) {
    SockJSBridgeOptions bridge = new SockJSBridgeOptions()
      .setMaxHandlersPerSocket(MAX_HANDLERS_PER_SOCKET)
      .setMaxAddressLength(MAX_ADDRESS_LENGTH)
      .setPingTimeout(PING_TIMEOUT_MS)
      .setReplyTimeout(REPLY_TIMEOUT_MS)
      .setOutboundPermitteds(permitted(options.eventBusOutbound()))
      .setInboundPermitteds(permitted(options.eventBusInbound()));
    return SockJSHandler.create(vertx, new SockJSHandlerOptions()
        .setInsertJSESSIONID(false)
        .setMaxBytesStreaming(MAX_BYTES_STREAMING))
      .bridge(bridge);
  }

  /** {@code chat.room.*} permits every address with that prefix; anything else is one exact address. */
  private static List<PermittedOptions> permitted(List<String> addresses) {
    return addresses.stream().map(address -> address.endsWith("*")
        ? new PermittedOptions().setAddressRegex(Pattern.quote(address.substring(0, address.length() - 1)) + ".+")
        : new PermittedOptions().setAddress(address))
      .toList();
  }
}
