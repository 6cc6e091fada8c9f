package dev.switchboard.gateway.bridge;

import dev.switchboard.shared.web.LastAnswer;
import dev.switchboard.gateway.config.GatewayOptions;
import dev.switchboard.gateway.edge.Requests;
import dev.switchboard.gateway.edge.TokenCheck;
import dev.switchboard.shared.web.JsonErrors;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.Transport;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Browsers on the cluster's event bus: vertx-web's SockJS bridge at {@code /eventbus}, letting
 * through only the addresses the configuration names — outbound (the bus to the page, e.g.
 * {@code chat.room.*}, {@code files.changed}) and inbound (the page to the bus, none by default).
 * <ul>
 *   <li>Only pages of the gateway's own origin, of {@code eventBusOrigins}, and clients that send
 *       no {@code Origin} (programs, not pages) get a session: another site's page could otherwise
 *       open one with the user's cookies. Others get {@code 403}, before any session exists.</li>
 *   <li>Transports a page loads by {@code <script>} or {@code <iframe>} (jsonp, htmlfile) are off, and
 *       SockJS's iframe page is not served: none of them sends an {@code Origin}.</li>
 *   <li>The HTTP transports' sends ({@code xhr_send}) have their body read, at most
 *       {@link #MAX_SEND_BYTES} ({@code 413} beyond).</li>
 *   <li>A refused send or register is answered with an {@code err} frame addressed to the caller
 *       (the request's reply address, the registered address), so that the client's callback hears
 *       of it at once instead of timing out; vertx-web's own unaddressed {@code err} follows.</li>
 *   <li>Who is on a socket, and what its token lets it reach: {@link BridgeAccess}.</li>
 * </ul>
 */
public final class BrowserBridge {

  /** Where browsers reach the event bus over SockJS. */
  public static final String PATH = "/eventbus";

  /** Handlers one page may register; a page follows a few rooms, not thousands. */
  static final int MAX_HANDLERS_PER_SOCKET = 100;
  static final int MAX_ADDRESS_LENGTH = 128;
  /** Largest body of an HTTP transport's send: a few bridge frames, which carry small messages. */
  static final int MAX_SEND_BYTES = 64 * 1024;
  /** A page that has sent no ping for this long is dropped with its handlers. */
  private static final long PING_TIMEOUT_MS = 30_000;
  private static final long REPLY_TIMEOUT_MS = 10_000;
  /**
   * How often an idle session gets a heartbeat frame, which also ends a pending poll. Short: with
   * more than one gateway instance, vertx-web 5.0.8 can miss that a poll of another event loop is
   * waiting (its session reads the listener unsynchronised), and a message then waits for the
   * next poll; the heartbeat bounds that wait (25 s by default, here 5 s).
   */
  private static final long HEARTBEAT_MS = 5_000;
  /** An HTTP streaming transport starts a new request after this many bytes. */
  private static final int MAX_BYTES_STREAMING = 128 * 1024;
  /** Where Vert.x sends a page's reply to a message it received: allowed by vertx-web's own bookkeeping. */
  private static final String REPLY_PREFIX = "__vertx.reply.";
  /** The receiving requests of SockJS's HTTP transports: {@code /SERVER/SESSION/xhr}, {@code xhr_streaming}, ... */
  private static final Pattern RECEIVING = Pattern.compile("/[^/]+/[^/]+/(xhr|xhr_streaming|eventsource)$");
  /** SockJS's iframe page, at {@code /iframe.html} and {@code /iframe-VERSION.html}. */
  private static final Pattern IFRAME = Pattern.compile("/iframe(-[^/]*)?\\.html");

  private BrowserBridge() {
  }

  /** The bridge's router, to mount at {@code PATH + "/*"}. */
  public static Router router(Vertx vertx, GatewayOptions options, TokenCheck tokens) {
    BridgeAccess access = new BridgeAccess(vertx, options.eventBusAuth(), options.eventBusScopes(), tokens);
    Addresses inbound = new Addresses(options.eventBusInbound());
    Addresses outbound = new Addresses(options.eventBusOutbound());
    SockJSBridgeOptions bridge = new SockJSBridgeOptions()
      .setMaxHandlersPerSocket(MAX_HANDLERS_PER_SOCKET)
      .setMaxAddressLength(MAX_ADDRESS_LENGTH)
      .setPingTimeout(PING_TIMEOUT_MS)
      .setReplyTimeout(REPLY_TIMEOUT_MS)
      .setOutboundPermitteds(outbound.permitted())
      .setInboundPermitteds(inbound.permitted());
    Router sockJs = SockJSHandler.create(vertx, new SockJSHandlerOptions()
        .setInsertJSESSIONID(false)
        .setHeartbeatInterval(HEARTBEAT_MS)
        .setMaxBytesStreaming(MAX_BYTES_STREAMING)
        // Loaded by <script> and <iframe>, which send no Origin: they would pass round the Origin rule.
        .addDisabledTransport(Transport.JSON_P.toString())
        .addDisabledTransport(Transport.HTML_FILE.toString()))
      .bridge(bridge, event -> access.handle(event, () -> answerRefusals(event, inbound, outbound)));
    Set<String> origins = Set.copyOf(options.eventBusOrigins());
    Router router = Router.router(vertx);
    // The iframe page of SockJS's iframe transports runs whatever the page that frames it asks on
    // the gateway's own origin (and loads the SockJS library from elsewhere): not served.
    router.getWithRegex(IFRAME.pattern()).handler(ctx -> JsonErrors.send(ctx.response(), 404,
      new JsonObject().put("error", "not found").put("path", ctx.request().path())));
    router.route().handler(ctx -> {
      if (receives(ctx.request().path())) {
        // vertx-web closes the connection of a receiving request once it has answered, without
        // saying so: a client that kept it alive sent its next request into a closing socket (a
        // send lost, the session dropped: seen with Node's keep-alive agent over xhr-polling).
        LastAnswer.mark(ctx.request());
      }
      checkOrigin(ctx, origins);
    });
    router.route(HttpMethod.POST, "/*").handler(BodyHandler.create(false).setBodyLimit(MAX_SEND_BYTES));
    router.route("/*").subRouter(sockJs);
    return router;
  }

  /** Whether {@code path} is a SockJS HTTP transport's receiving request (its connection is closed after it). */
  private static boolean receives(String path) {
    return RECEIVING.matcher(path).find();
  }

  /**
   * A page of another origin than the gateway's and not listed gets 403. A request without
   * {@code Origin} is not from a page a browser shows (or is same-origin in an old browser): it
   * passes, as it could send any header it liked anyway.
   */
  private static void checkOrigin(RoutingContext ctx, Set<String> allowed) {
    String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
    if (origin == null || allowed.contains("*") || allowed.contains(origin) || sameOrigin(origin, host(ctx.request()))) {
      ctx.next();
      return;
    }
    JsonErrors.send(ctx.response(), 403, new JsonObject().put("error", "origin not allowed on " + PATH)
      .put("origin", origin).put("requestId", Requests.id(ctx)));
  }

  /** The host (and port) the request was sent to: its Host header, or over HTTP/2 its {@code :authority}. */
  private static String host(HttpServerRequest request) {
    String host = request.getHeader(HttpHeaders.HOST);
    if (host != null) {
      return host;
    }
    HostAndPort authority = request.authority();
    return authority == null ? null : authority.port() >= 0 ? authority.host() + ":" + authority.port() : authority.host();
  }

  /**
   * Whether {@code origin} names the host (and port) the request was sent to. The scheme is left
   * out: behind a load balancer that ends TLS the gateway sees http where the page had https.
   */
  static boolean sameOrigin(String origin, String host) {
    if (host == null) {
      return false;
    }
    int scheme = origin.indexOf("://");
    if (scheme < 0) {
      return false;
    }
    String originHost = origin.substring(scheme + 3).toLowerCase(Locale.ROOT);
    String requestHost = host.toLowerCase(Locale.ROOT);
    return originHost.equals(requestHost) || originHost.equals(withDefaultPort(requestHost, origin))
      || withDefaultPort(originHost, origin).equals(requestHost);
  }

  private static String withDefaultPort(String host, String origin) {
    if (host.lastIndexOf(':') > host.lastIndexOf(']')) {
      return host;
    }
    return host + (origin.startsWith("https://") ? ":443" : ":80");
  }

  /** Refused sends and registers answered to the caller; every event goes on to vertx-web's own checks. */
  private static void answerRefusals(BridgeEvent event, Addresses inbound, Addresses outbound) {
    JsonObject message = event.getRawMessage();
    if (message != null) {
      String address = message.getString("address");
      if ((event.type() == BridgeEventType.SEND || event.type() == BridgeEventType.PUBLISH)
        && address != null && !address.startsWith(REPLY_PREFIX) && !inbound.permits(address)) {
        String replyAddress = message.getString("replyAddress");
        if (replyAddress != null) {
          refused(event, replyAddress);
        }
      } else if (event.type() == BridgeEventType.REGISTER && address != null && !outbound.permits(address)) {
        refused(event, address);
      }
    }
    event.complete(true);
  }

  /** An {@code err} frame as vertx-eventbus.js reads a failed reply: it goes to the callback waiting on {@code address}. */
  private static void refused(BridgeEvent event, String address) {
    BridgeAccess.writeErr(event.socket(), address, 403, "access_denied");
  }

  /** Addresses as the settings write them: exact, or a prefix ending in {@code *}. */
  private record Addresses(List<String> written) {

    List<PermittedOptions> permitted() {
      return written.stream().map(address -> address.endsWith("*")
          ? new PermittedOptions().setAddressRegex(Pattern.quote(address.substring(0, address.length() - 1)) + ".+")
          : new PermittedOptions().setAddress(address))
        .toList();
    }

    boolean permits(String address) {
      for (String allowed : written) {
        if (allowed.endsWith("*")
          ? address.length() >= allowed.length() && address.startsWith(allowed.substring(0, allowed.length() - 1))
          : allowed.equals(address)) {
          return true;
        }
      }
      return false;
    }
  }
}
