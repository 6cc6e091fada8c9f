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
import dev.switchboard.shared.web.AccessLog;
import dev.switchboard.shared.web.JsonErrors;
import dev.switchboard.shared.web.RequestScope;
import dev.switchboard.shared.ws.CloseCodes;
import dev.switchboard.shared.ws.WebSocketGuard;
import dev.switchboard.shared.ws.WebSocketHandshake;
import dev.switchboard.shared.ws.WebSocketLimits;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpConnection;
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

/**
 * Proxies a WebSocket upgrade to a node of the route's service through the {@link Upstream}: the
 * client's handshake is checked (RFC 6455 §4.2.1, as chat checks it), the node's handshake is made
 * first (on another node if it fails), then the client's is accepted, and frames are relayed both
 * ways as they come — fragments, text and binary as sent — with backpressure: a side that does not
 * read pauses the other. Both sides have a {@link WebSocketGuard}, so the gateway holds each of
 * its two connections to RFC 6455 and to its limits as a service holds its own: a violation is
 * answered with its close code on that side, and the other side is closed too — the node with
 * 1001 (its client went away), the client with 1014 (bad gateway) when the node broke the protocol.
 * A close on either side closes the other with the same code; a side that is not reading when the
 * other closes is cut off at once rather than waited for. Pings are answered per connection by the
 * guards, under their rate limit. A node that refuses the handshake for the client's reasons (a
 * 4xx) has its answer passed on.
 */
public final class WebSocketForwarder {

  private static final Logger log = LoggerFactory.getLogger(WebSocketForwarder.class);

  private static final short GOING_AWAY = 1001;
  /** RFC 6455's registry: a gateway that got an invalid response from the server behind it. */
  private static final short BAD_GATEWAY = 1014;

  /** While a side waits for the other to read, that side is pinged this often: a reset shows at once on a write. */
  static final Duration PROBE_EVERY = Duration.ofSeconds(1);

  private final Vertx vertx;
  private final WebSocketClient client;
  private final Upstream upstream;
  private final WebSocketLimits limits;
  private final Duration stallTimeout;
  /** Whether Vert.x traces this gateway: then the handshake carries the gateway's trace context, not the client's. */
  private final boolean traced;

  /**
   * @param client       a client whose options {@code limits} were applied to
   * @param limits       what each of the two connections of a relay may cost; the server's options had them applied too
   * @param stallTimeout how long a side may take nothing of what waits for it before it is cut off
   */
  public WebSocketForwarder(Vertx vertx, WebSocketClient client, Upstream upstream, WebSocketLimits limits, Duration stallTimeout) {
    this.vertx = vertx;
    this.traced = Headers.traced(vertx);
    this.client = client;
    this.upstream = upstream;
    this.limits = limits;
    this.stallTimeout = stallTimeout;
  }

  /** Relays {@code request}, an upgrade to WebSocket (valid or not: an invalid one is answered here). */
  public void forward(HttpServerRequest request, Duration timeout, Target target, String requestId) {
    if (WebSocketHandshake.refuse(request)) {
      return;
    }
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
    /** The request's scope, for its access line: the node that answered. */
    final RequestScope scope = RequestScope.current();
    /** Made once both sides are connected; a node refused before that is found closed then. */
    Relay relay;
    WebSocketGuard nodeGuard;

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
      Headers.handshakeToNode(request, requestId, headers, traced);
      options.setHeaders(headers);
      String protocols = request.getHeader("Sec-WebSocket-Protocol");
      if (protocols != null) {
        options.setSubProtocols(Arrays.stream(protocols.split(",")).map(String::trim).filter(p -> !p.isEmpty()).toList());
      }
      return client.connect(options).map(toNode -> {
        // Guarded before a frame is read, and held until the client's side is there to take frames.
        toNode.pause();
        nodeGuard = WebSocketGuard.install(toNode, limits, refusal -> {
          if (relay != null) {
            relay.nodeRefused = true;
          }
        });
        return toNode;
      }).recover(failure -> {
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
      if (x.scope != null) {
        x.scope.upstream(call.node().label());
      }
      AccessLog.upgraded(x.scope);
      Relay relay = new Relay(accepted.result(), x.request.connection(), toNode, x.nodeGuard, call);
      x.relay = relay;
      relay.start();
      log.debug("[{}] WebSocket {} via {}", x.requestId, x.request.uri(), call.node().label());
    });
  }

  /** One client's WebSocket and the gateway's to its node, frames passed both ways. */
  private final class Relay {

    final ServerWebSocket toClient;
    /** The client's HTTP connection, whose channel its WebSocket took over: the router's wrapper of the WebSocket has none. */
    final HttpConnection upgraded;
    final WebSocket toNode;
    final WebSocketGuard nodeGuard;
    final Call<WebSocket> call;
    WebSocketGuard clientGuard;
    boolean clientRefused;
    boolean nodeRefused;

    Relay(ServerWebSocket toClient, HttpConnection upgraded, WebSocket toNode, WebSocketGuard nodeGuard, Call<WebSocket> call) {
      this.toClient = toClient;
      this.upgraded = upgraded;
      this.toNode = toNode;
      this.nodeGuard = nodeGuard;
      this.call = call;
    }

    void start() {
      clientGuard = WebSocketGuard.install(upgraded, limits, refusal -> clientRefused = true);
      pipe(toClient, toNode, nodeGuard);
      pipe(toNode, toClient, clientGuard);
      toClient.closeHandler(v -> {
        call.release();
        // The node hears its client went away, whatever the client did wrong.
        closeLike(toNode, null, toClient, clientRefused);
      });
      toNode.closeHandler(v -> closeLike(toClient, clientGuard, toNode, nodeRefused));
      // A side paused because the other does not read hears of its own close only once resumed,
      // which the other side's reading would do: never, for a peer that stopped. Its channel tells
      // at once; the peer that is not reading is then cut off.
      clientGuard.whenClosed(() -> cutOffIfNotReading(nodeGuard));
      nodeGuard.whenClosed(() -> cutOffIfNotReading(clientGuard));
      if (toNode.isClosed()) {
        closeLike(toClient, clientGuard, toNode, true); // the node broke off before the client was there
      }
      toNode.resume();
    }

    /**
     * Frames from {@code from} to {@code to}, {@code from} paused while {@code to} cannot take more.
     * While paused, {@code from} is pinged every {@link #PROBE_EVERY}: a side that is not read hears
     * of its peer's end only once read, and a peer that cut the gateway off for not reading (the
     * service's own bound) shows as a failed write. A {@code to} that takes nothing for the stall
     * timeout is cut off.
     */
    private void pipe(WebSocketBase from, WebSocketBase to, WebSocketGuard toGuard) {
      long[] stall = {-1, 0};
      to.drainHandler(v -> {
        vertx.cancelTimer(stall[0]);
        stall[0] = -1;
        from.resume();
      });
      from.frameHandler((WebSocketFrame frame) -> {
        if (!(frame.isText() || frame.isBinary() || frame.isContinuation()) || to.isClosed()) {
          return; // control frames: the guards answer pings, closes are relayed with their code by closeLike
        }
        to.writeFrame(frame);
        if (to.writeQueueFull()) {
          from.pause();
          if (stall[0] == -1) {
            stall[1] = System.nanoTime();
            stall[0] = vertx.setPeriodic(PROBE_EVERY.toMillis(), t -> {
              if (from.isClosed() || to.isClosed()) {
                vertx.cancelTimer(t);
              } else if (System.nanoTime() - stall[1] > stallTimeout.toNanos()) {
                vertx.cancelTimer(t);
                toGuard.cutOff();
              } else {
                from.writePing(Buffer.buffer());
              }
            });
          }
        }
      });
      from.exceptionHandler(e -> log.debug("WebSocket relay: {}", e.toString()));
    }

    private void cutOffIfNotReading(WebSocketGuard guard) {
      if (!guard.isWritable()) {
        guard.cutOff();
      }
    }

    /**
     * Closes {@code target} as {@code closed} was closed: the same code and reason where that may
     * be sent, 1001 for a client gone or refused, 1014 for a node that broke the protocol. A client
     * that does not read (its queue past the high-water mark) is cut off at once: a closing
     * handshake would wait behind what it never reads.
     */
    private void closeLike(WebSocketBase target, WebSocketGuard targetGuard, WebSocketBase closed, boolean refused) {
      if (target.isClosed()) {
        return;
      }
      if (targetGuard != null && !targetGuard.isWritable()) {
        targetGuard.cutOff();
        return;
      }
      Short code = closed.closeStatusCode();
      if (refused) {
        target.close(target == toNode ? GOING_AWAY : BAD_GATEWAY, target == toNode ? "client went away" : "the service broke the protocol");
      } else if (code == null || !CloseCodes.isValid(code)) {
        target.close(GOING_AWAY, "peer went away");
      } else {
        target.close(code, closed.closeReason());
      }
    }
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
}
