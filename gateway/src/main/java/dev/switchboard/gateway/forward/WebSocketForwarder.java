package dev.switchboard.gateway.forward;

import dev.switchboard.gateway.edge.Requests;
import dev.switchboard.gateway.upstream.Backend;
import dev.switchboard.gateway.upstream.Call;
import dev.switchboard.gateway.upstream.ClientFault;
import dev.switchboard.gateway.upstream.Exchange;
import dev.switchboard.gateway.upstream.NoAnswer;
import dev.switchboard.gateway.upstream.Target;
import dev.switchboard.gateway.upstream.Unsent;
import dev.switchboard.gateway.upstream.Upstream;
import dev.switchboard.shared.web.JsonErrors;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;

/**
 * Proxies a WebSocket upgrade to a node of the route's service through the {@link Upstream}: the
 * node's handshake is made first (on another node if it fails), then the client's is accepted, and
 * frames are relayed both ways as they come — fragments, text and binary as sent — with
 * backpressure: a side that does not read pauses the other. A close on either side closes the
 * other with the same code. A node that refuses the handshake for the client's reasons (a 4xx) has
 * its answer passed on.
 */
public final class WebSocketForwarder {

  private static final Logger log = LoggerFactory.getLogger(WebSocketForwarder.class);

  /** Close codes that must not be sent in a close frame (RFC 6455 7.4.1): the node went away. */
  private static final Set<Short> RESERVED = Set.of((short) 1005, (short) 1006, (short) 1015);
  private static final short GOING_AWAY = 1001;

  private final WebSocketClient client;
  private final Upstream upstream;

  public WebSocketForwarder(WebSocketClient client, Upstream upstream) {
    this.client = client;
    this.upstream = upstream;
  }

  public void forward(HttpServerRequest request, Duration timeout, Target target, String requestId) {
    request.pause();
    Handshake x = new Handshake(request, timeout, requestId);
    upstream.call(target, x).onComplete(called -> {
      if (called.succeeded()) {
        accept(x, called.result());
      } else {
        refuse(x, called.cause());
      }
    });
  }

  /** The gateway's handshake with a node for one client's upgrade request. */
  private final class Handshake implements Exchange<WebSocket> {

    final HttpServerRequest request;
    final Duration timeout;
    final String requestId;

    Handshake(HttpServerRequest request, Duration timeout, String requestId) {
      this.request = request;
      this.timeout = timeout;
      this.requestId = requestId;
    }

    @Override
    public Future<WebSocket> send(Backend node) {
      WebSocketConnectOptions options = new WebSocketConnectOptions()
        .setServer(node.address())
        .setHost(node.address().host())
        .setPort(node.address().port())
        .setURI(request.uri())
        .setAllowOriginHeader(false)
        .setTimeout(timeout.toMillis());
      MultiMap headers = MultiMap.caseInsensitiveMultiMap();
      Headers.handshakeToNode(request, requestId, headers);
      options.setHeaders(headers);
      String protocols = request.getHeader("Sec-WebSocket-Protocol");
      if (protocols != null) {
        options.setSubProtocols(Arrays.stream(protocols.split(",")).map(String::trim).filter(p -> !p.isEmpty()).toList());
      }
      return client.connect(options).recover(failure -> {
        if (failure instanceof ConnectException) {
          return Future.failedFuture(new Unsent(failure));
        }
        if (failure instanceof UpgradeRejectedException rejected && rejected.getStatus() < 500) {
          return Future.failedFuture(new ClientFault(rejected.getStatus(), "the node refused the WebSocket", rejected));
        }
        return Future.failedFuture(failure);
      });
    }

    @Override
    public boolean replayable() {
      return true; // nothing but a GET handshake was sent
    }

    @Override
    public boolean abandoned() {
      return request.response().closed();
    }

    @Override
    public int status(WebSocket answer) {
      return 101;
    }

    @Override
    public HttpServerRequest request() {
      return request;
    }
  }

  private void accept(Handshake x, Call<WebSocket> call) {
    WebSocket toNode = call.answer();
    x.request.resume();
    x.request.toWebSocket().onComplete(accepted -> {
      call.record(accepted.failed());
      if (accepted.failed()) {
        call.release();
        toNode.close(GOING_AWAY);
        return;
      }
      ServerWebSocket toClient = accepted.result();
      relay(toClient, toNode);
      relay(toNode, toClient);
      toClient.closeHandler(v -> {
        call.release();
        closeLike(toNode, toClient);
      });
      toNode.closeHandler(v -> closeLike(toClient, toNode));
      log.debug("[{}] WebSocket {} via {}", x.requestId, x.request.uri(), call.node().label());
    });
  }

  /** No handshake with any node: a plain HTTP answer, as the client's handshake was not accepted. */
  private void refuse(Handshake x, Throwable failure) {
    x.request.resume();
    HttpServerResponse response = x.request.response();
    response.putHeader(Requests.REQUEST_ID, x.requestId);
    if (failure instanceof ClientFault fault && fault.getCause() instanceof UpgradeRejectedException rejected) {
      // The node's own refusal, as it gave it.
      Headers.toClient(rejected.getHeaders(), response.headers());
      response.putHeader(Requests.REQUEST_ID, x.requestId);
      response.setStatusCode(rejected.getStatus());
      if (rejected.getBody() != null) {
        response.end(rejected.getBody());
      } else {
        response.end();
      }
      return;
    }
    if (failure instanceof NoAnswer none) {
      if (none.status() == 503) {
        response.putHeader(HttpHeaders.RETRY_AFTER, String.valueOf(Math.max(1, upstream.backends().options().healthInterval().toSeconds())));
      }
      JsonErrors.send(response, none.status() == 503 ? 503 : 502, new JsonObject()
        .put("error", none.attempts() == 0 ? none.getMessage()
          : none.service() + " did not accept the WebSocket: " + (none.getCause() == null ? "no answer" : none.getCause().getMessage()))
        .put("requestId", x.requestId).put("attempts", none.attempts()));
      return;
    }
    log.warn("[{}] WebSocket {} failed", x.requestId, x.request.uri(), failure);
    JsonErrors.send(response, 502, new JsonObject().put("error", "WebSocket handshake failed").put("requestId", x.requestId));
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
}
