package dev.switchboard.gateway.forward;

import dev.switchboard.gateway.config.Route;
import dev.switchboard.gateway.edge.Edge;
import dev.switchboard.gateway.edge.Requests;
import dev.switchboard.gateway.edge.TokenCheck;
import dev.switchboard.gateway.upstream.Target;
import io.vertx.core.http.HttpHeaders;
import dev.switchboard.shared.web.RequestScope;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

import java.util.Comparator;
import java.util.List;

/**
 * The proxied path prefixes, longest first: a request under one goes to its route's nodes — an
 * upgrade to the WebSocket forwarder, anything else to the HTTP forwarder, once it passes the
 * route's {@link TokenCheck} — and any other request to the next handler. One per gateway instance.
 */
public final class ProxyRoutes {

  /** A route and the target its calls go to. */
  public record Proxied(Route route, Target target) {
  }

  private final List<Proxied> routes;
  private final Edge edge;
  private final TokenCheck tokens;
  private final HttpForwarder http;
  private final WebSocketForwarder sockets;

  public ProxyRoutes(List<Proxied> routes, Edge edge, TokenCheck tokens, HttpForwarder http, WebSocketForwarder sockets) {
    this.routes = routes.stream()
      .sorted(Comparator.comparingInt((Proxied p) -> p.route().prefix().length()).reversed())
      .toList();
    this.edge = edge;
    this.tokens = tokens;
    this.http = http;
    this.sockets = sockets;
  }

  /** A router handler: forwards the request if a route serves its path, otherwise passes it on. */
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String path = request.path();
    for (Proxied proxied : routes) {
      Route route = proxied.route();
      if (route.matches(path)) {
        tokens.admit(ctx, route.access(), identity -> forward(ctx, proxied));
        return;
      }
    }
    ctx.next();
  }

  private void forward(RoutingContext ctx, Proxied proxied) {
    HttpServerRequest request = ctx.request();
    Route route = proxied.route();
    RequestScope scope = RequestScope.current();
    if (scope != null) {
      scope.route(route.prefix());
    }
    if (isUpgrade(request)) {
      sockets.forward(request, route.timeout(), proxied.target(), Requests.id(ctx));
    } else if (!Edge.declaredTooLarge(ctx, edge.maxBody(route))) {
      http.forward(request, route, proxied.target(), Requests.id(ctx), edge.maxBody(route));
    }
  }

  /**
   * Whether the request asks for a WebSocket, well-formed or not: the WebSocket forwarder answers a
   * malformed one itself, as a service would (forwarded as plain HTTP, its Upgrade header, being
   * hop-by-hop, would be dropped on the way).
   */
  private static boolean isUpgrade(HttpServerRequest request) {
    String upgrade = request.getHeader(HttpHeaders.UPGRADE);
    return upgrade != null && "websocket".equalsIgnoreCase(upgrade.trim());
  }
}
