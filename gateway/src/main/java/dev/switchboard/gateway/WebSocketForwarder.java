package dev.switchboard.gateway;

import dev.switchboard.shared.web.JsonErrors;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Proxies a WebSocket upgrade to a node of the route's service: the node's handshake is made
 * first (on another node if a connection fails), then the client's is accepted, and frames are
 * relayed both ways as they come — fragments, text and binary as sent — with backpressure: a side
 * that does not read pauses the other. A close on either side closes the other with the same code.
 */
final class WebSocketForwarder {

  private static final Logger log = LoggerFactory.getLogger(WebSocketForwarder.class);

  /** Headers of the handshake itself, which the gateway's own connection to the node makes anew. */
  private static final Set<String> HANDSHAKE = Set.of("connection", "upgrade", "host", "sec-websocket-key",
    "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol", "content-length",
    "transfer-encoding", "keep-alive", "te", "trailer", "proxy-connection", "proxy-authorization");
  /** Close codes that must not be sent in a close frame (RFC 6455 7.4.1): the node went away. */
  private static final Set<Short> RESERVED = Set.of((short) 1005, (short) 1006, (short) 1015);
  private static final short GOING_AWAY = 1001;

  private final WebSocketClient client;
  private final Backends backends;

  WebSocketForwarder(WebSocketClient client, Backends backends) {
    this.client = client;
    this.backends = backends;
  }

  void forward(HttpServerRequest request, Route route, String requestId) {
    request.pause();
    attempt(request, route, requestId, new HashSet<>(), route.retries());
  }

  private void attempt(HttpServerRequest request, Route route, String requestId, Set<String> tried, int retriesLeft) {
    List<Backend> candidates = backends.available(route.service(), tried);
    if (candidates.isEmpty()) {
      refuse(request, route, requestId, tried.size(), null);
      return;
    }
    Backend node = backends.balancer(route).pick(candidates, request);
    tried.add(node.id());
    Promise<Void> outcome = node.admit();
    if (outcome == null) {
      attempt(request, route, requestId, tried, retriesLeft); // half-open with its trial out: another node
      return;
    }
    WebSocketConnectOptions options = new WebSocketConnectOptions()
      .setServer(node.address())
      .setHost(node.address().host())
      .setPort(node.address().port())
      .setURI(request.uri())
      .setAllowOriginHeader(false)
      .setTimeout(route.timeout().toMillis())
      .setHeaders(headers(request, requestId));
    String protocols = request.getHeader("Sec-WebSocket-Protocol");
    if (protocols != null) {
      options.setSubProtocols(Arrays.stream(protocols.split(",")).map(String::trim).filter(p -> !p.isEmpty()).toList());
    }
    node.started();
    client.connect(options).onComplete(connected -> {
      if (connected.failed()) {
        node.finished();
        outcome.tryFail(connected.cause());
        if (connected.cause() instanceof ConnectException) {
          node.refused();
        }
        if (retriesLeft > 0 && !request.response().closed()) {
          attempt(request, route, requestId, tried, retriesLeft - 1);
        } else {
          refuse(request, route, requestId, tried.size(), connected.cause());
        }
        return;
      }
      WebSocket upstream = connected.result();
      request.resume();
      request.toWebSocket().onComplete(accepted -> {
        if (accepted.failed()) {
          node.finished();
          outcome.tryComplete(); // the node did its part; the client's handshake failed
          upstream.close(GOING_AWAY);
          return;
        }
        outcome.tryComplete();
        ServerWebSocket downstream = accepted.result();
        relay(downstream, upstream);
        relay(upstream, downstream);
        downstream.closeHandler(v -> {
          node.finished();
          closeLike(upstream, downstream);
        });
        upstream.closeHandler(v -> closeLike(downstream, upstream));
        log.debug("[{}] WebSocket {} via {}", requestId, request.uri(), node.label());
      });
    });
  }

  /** No handshake with any node: a plain HTTP answer, as the client's handshake was not accepted. */
  private void refuse(HttpServerRequest request, Route route, String requestId, int attempts, Throwable cause) {
    request.resume();
    request.response().putHeader(HttpForwarder.REQUEST_ID, requestId);
    if (attempts == 0) {
      request.response().putHeader("Retry-After", String.valueOf(Math.max(1, backends.options().healthInterval().toSeconds())));
      JsonErrors.send(request.response(), 503, new JsonObject().put("error", "no " + route.service() + " node is available")
        .put("requestId", requestId));
    } else {
      JsonErrors.send(request.response(), 502, new JsonObject()
        .put("error", route.service() + " did not accept the WebSocket: " + (cause == null ? "no answer" : cause.getMessage()))
        .put("requestId", requestId).put("attempts", attempts));
    }
  }

  /** Frames from {@code from} to {@code to}, pausing {@code from} while {@code to} cannot take more. */
  private static void relay(WebSocketBase from, WebSocketBase to) {
    to.drainHandler(v -> from.resume());
    from.frameHandler((WebSocketFrame frame) -> {
      if (!(frame.isText() || frame.isBinary() || frame.isContinuation()) || to.isClosed()) {
        return; // control frames: Vert.x answers pings itself, closes are relayed with their code by closeLike
      }
      to.writeFrame(frame);
      if (to.writeQueueFull()) {
        from.pause();
      }
    });
    from.exceptionHandler(e -> log.debug("WebSocket relay: {}", e.toString()));
  }

  /** Closes {@code target} as {@code closed} was closed: the same code and reason where that may be sent. */
  private static void closeLike(WebSocketBase target, WebSocketBase closed) {
    if (target.isClosed()) {
      return;
    }
    Short code = closed.closeStatusCode();
    if (code == null || RESERVED.contains(code)) {
      target.close(GOING_AWAY, "peer went away");
    } else {
      target.close(code, closed.closeReason());
    }
  }

  private static MultiMap headers(HttpServerRequest request, String requestId) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (Map.Entry<String, String> header : request.headers()) {
      if (!HANDSHAKE.contains(header.getKey().toLowerCase(Locale.ROOT))) {
        headers.add(header.getKey(), header.getValue());
      }
    }
    headers.set(HttpForwarder.REQUEST_ID, requestId);
    if (request.remoteAddress() != null) {
      String prior = request.getHeader("X-Forwarded-For");
      String self = request.remoteAddress().hostAddress();
      headers.set("X-Forwarded-For", prior == null ? self : prior + ", " + self);
    }
    return headers;
  }
}
