package dev.switchboard.gateway.forward;

import dev.switchboard.gateway.config.Route;
import dev.switchboard.gateway.edge.Edge;
import dev.switchboard.gateway.edge.Requests;
import dev.switchboard.gateway.edge.TokenCheck;
import dev.switchboard.gateway.upstream.Target;
import dev.switchboard.shared.web.JsonErrors;
import dev.switchboard.shared.web.RequestScope;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The proxied path prefixes, longest first: a request under one goes to its route's nodes — an
 * upgrade to the WebSocket forwarder, anything else to the HTTP forwarder, once it passes the
 * route's {@link TokenCheck} — and any other request to the next handler. A handler of the
 * router, and {@link #ahead} it: the proxied requests of ordinary paths, nearly all of a gateway's,
 * skip the router's work per request. One per gateway instance.
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
    Proxied proxied = match(ctx.request().path());
    if (proxied == null) {
      ctx.next();
      return;
    }
    HttpServerRequest request = ctx.request();
    String id = Requests.id(ctx);
    tokens.admit(request, id, proxied.route().access(), identity -> forward(request, id, proxied));
  }

  /**
   * The server's request handler in front of {@code router}: a request that the router would only
   * pass through the edge to a proxied route goes there directly, through the same steps, without
   * the router's work per request (a routing context, a match against each of its routes); every
   * other request goes through {@code router}. Call once every route is mounted: a path any of its
   * routes names is the router's, and so is every path while the edge has more steps than
   * {@link Edge#identify} and {@link Edge#admit} (CORS).
   */
  public Handler<HttpServerRequest> ahead(Router router) {
    List<String> claimed = new ArrayList<>();
    for (io.vertx.ext.web.Route route : router.getRoutes()) {
      if (route.isRegexPath()) {
        return router::handle;
      }
      String path = route.getPath();
      if (path != null) {
        // "/eventbus/" (from "/eventbus/*") claims "/eventbus" too; a name claims all it begins.
        claimed.add(path.endsWith("/") ? path.substring(0, path.length() - 1) : path);
      }
    }
    if (!edge.uniform()) {
      return router::handle;
    }
    String[] prefixes = claimed.toArray(String[]::new);
    return request -> {
      if (!take(request, prefixes)) {
        router.handle(request);
      }
    };
  }

  /** Forwards {@code request} as {@link #handle} would after the edge, if no route of the router's claims it: true if taken. */
  private boolean take(HttpServerRequest request, String[] claimed) {
    String path = request.path();
    if (!normal(path)) {
      return false;
    }
    for (String prefix : claimed) {
      if (path.startsWith(prefix)) {
        return false;
      }
    }
    Proxied proxied = match(path);
    if (proxied == null) {
      return false;
    }
    try {
      String id = edge.identify(request);
      if (edge.admit(request, id)) {
        tokens.admit(request, id, proxied.route().access(), identity -> forward(request, id, proxied));
      }
    } catch (RuntimeException e) {
      JsonErrors.internal(request, e);
    }
    return true;
  }

  /** The longest route prefix serving {@code path}, or null. */
  private Proxied match(String path) {
    for (Proxied proxied : routes) {
      if (proxied.route().matches(path)) {
        return proxied;
      }
    }
    return null;
  }

  private void forward(HttpServerRequest request, String id, Proxied proxied) {
    Route route = proxied.route();
    RequestScope scope = RequestScope.current();
    if (scope != null) {
      scope.route(route.prefix());
    }
    if (isUpgrade(request)) {
      sockets.forward(request, route.timeout(), proxied.target(), id);
    } else if (!Edge.declaredTooLarge(request, id, edge.maxBody(route))) {
      http.forward(request, route, proxied.target(), id, edge.maxBody(route));
    }
  }

  /**
   * Whether {@code path} is as the router would match it: absolute, without empty or dot segments
   * and without escapes (the router matches a normalized, decoded path; such a path goes through it).
   */
  static boolean normal(String path) {
    if (path == null || path.isEmpty() || path.charAt(0) != '/') {
      return false;
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '%' || c == '\\' || c == '/' && i + 1 < path.length() && (path.charAt(i + 1) == '/' || path.charAt(i + 1) == '.')) {
        return false;
      }
    }
    return true;
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
