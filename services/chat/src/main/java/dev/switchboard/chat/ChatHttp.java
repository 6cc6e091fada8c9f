package dev.switchboard.chat;

import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.auth.TokenRejectedException;
import dev.switchboard.shared.ops.Operations;
import dev.switchboard.shared.web.AccessLog;
import dev.switchboard.shared.web.BearerTokens;
import dev.switchboard.shared.web.JsonErrors;
import dev.switchboard.shared.web.RequestScope;
import dev.switchboard.shared.web.StrictHttp;
import dev.switchboard.shared.ws.PerMessageDeflate;
import dev.switchboard.shared.ws.WebSocketHandshake;
import dev.switchboard.shared.ws.WebSocketLimits;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The chat's HTTP side: the page at {@code GET /}, {@code /health}, {@code /ready} and
 * {@code /metrics} through a router, and the WebSocket at {@link ChatVerticle#PATH}, which bypasses
 * it. An upgrade is admitted here (handshake checks, draining, {@code maxConnections}, the token
 * with {@code auth} on) and becomes a {@link ChatConnection}; every refusal is an HTTP answer.
 */
final class ChatHttp {

  /** Under the verticle's name, as before it was split, so that log settings keep matching. */
  private static final Logger log = LoggerFactory.getLogger(ChatVerticle.class);

  private final ChatVerticle chat;
  private final ChatOptions options;
  private final ServiceRuntime runtime;
  /** The connections open in this process, all instances together. */
  private final AtomicInteger open;

  ChatHttp(ChatVerticle chat, ChatOptions options, ServiceRuntime runtime, AtomicInteger open) {
    this.chat = chat;
    this.options = options;
    this.runtime = runtime;
    this.open = open;
  }

  /** The server, not listening yet; its frame decoder is given {@code limits}. */
  HttpServer server(Vertx vertx, WebSocketLimits limits) {
    AccessLog accessLog = AccessLog.create(runtime.ingress());
    Router router = Router.router(vertx);
    accessLog.mount(router);
    Operations.mount(router, vertx, runtime);
    router.get("/*").handler(StaticHandler.create(ChatVerticle.PAGE_ROOT).setIndexPage("index.html").setCachingEnabled(true));
    JsonErrors.install(router);

    // The decoder refuses a frame over maxMessageSize from its header. Without compression no
    // extension is ever negotiated, so a frame with a reserved bit set is a protocol error (1002)
    // and no deflater is kept per connection; with it, a frame inflates to maxMessageSize at most
    // (PerMessageDeflate), and nothing past it is allocated (close 1009).
    HttpServerOptions serverOptions = limits.applyTo(new HttpServerOptions()
      .setHost(options.host())
      .setPort(runtime.bindPort("http", options.port()))
      .setTcpNoDelay(true)
      // HTTP/1.1 only: with h2c on, Vert.x reads a connection's first request before the strict
      // decoder (StrictHttp) is in place.
      .setHttp2ClearTextEnabled(false));
    HttpServer server;
    if (options.compression()) {
      HttpServerOptions compressing = PerMessageDeflate.enable(serverOptions, ChatOptions.COMPRESSION_LEVEL);
      server = vertx.createHttpServer(compressing).connectionHandler(connection -> {
        StrictHttp.apply(connection, compressing, runtime.ingress().headTimeout());
        PerMessageDeflate.bound(connection, limits, ChatOptions.COMPRESSION_LEVEL);
      });
    } else {
      server = StrictHttp.server(vertx, serverOptions, runtime.ingress().headTimeout());
    }
    return server
      .invalidRequestHandler(JsonErrors::invalidRequest)
      .requestHandler(accessLog.handler(request -> {
        // The WebSocket path bypasses the router, whose wrapper would hide the connection's pipeline.
        if (ChatVerticle.PATH.equals(request.path())) {
          upgrade(request);
        } else {
          router.handle(request);
        }
      }));
  }

  private void upgrade(HttpServerRequest request) {
    if (WebSocketHandshake.refuse(request)) {
      return;
    }
    if (runtime.isDraining()) {
      JsonErrors.send(request.response(), 503, new JsonObject().put("error", "shutting down"));
      return;
    }
    if (open.incrementAndGet() > options.maxConnections()) {
      open.decrementAndGet();
      log.debug("refusing {}: {} connections open", request.remoteAddress(), options.maxConnections());
      JsonErrors.send(request.response(), 503, new JsonObject().put("error", "too many connections").put("limit", options.maxConnections()));
      return;
    }
    if (!chat.checksTokens()) {
      accept(request, null);
      return;
    }
    String token;
    try {
      token = BearerTokens.of(request, true);
    } catch (IllegalArgumentException e) {
      open.decrementAndGet();
      JsonErrors.send(request.response(), 400, new JsonObject().put("error", "malformed query string"));
      return;
    }
    if (token == null) {
      if (request.headers().contains(HttpHeaders.AUTHORIZATION) || request.params().contains(BearerTokens.QUERY_PARAMETER)) {
        refuse(request, new TokenRejectedException("one bearer token is expected: Authorization: Bearer, or access_token"));
      } else {
        accept(request, null); // it must send its token as its first message, within authTimeout
      }
      return;
    }
    // Held while the token is checked; toWebSocket() resumes it.
    request.pause();
    chat.identify(token)
      .onSuccess(caller -> accept(request, caller))
      .onFailure(e -> {
        request.resume();
        refuse(request, e instanceof TokenRejectedException rejected ? rejected : new TokenRejectedException("token not checked"));
      });
  }

  private void refuse(HttpServerRequest request, TokenRejectedException rejected) {
    open.decrementAndGet();
    log.debug("refusing {}: {}", request.remoteAddress(), rejected.getMessage());
    BearerTokens.unauthorized(request.response(), rejected);
  }

  /** Upgrades a request that passed every check; {@code caller} is null without a token (yet). */
  private void accept(HttpServerRequest request, Caller caller) {
    RequestScope scope = RequestScope.current();
    request.toWebSocket()
      .onSuccess(ws -> {
        AccessLog.upgraded(scope);
        UpgradeLeftovers.trim(ws);
        chat.opened(ws, caller);
      })
      .onFailure(e -> {
        open.decrementAndGet();
        log.debug("WebSocket handshake from {} failed: {}", request.remoteAddress(), e.getMessage());
      });
  }
}
