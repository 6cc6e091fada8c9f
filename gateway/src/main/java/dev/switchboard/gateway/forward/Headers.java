package dev.switchboard.gateway.forward;

import dev.switchboard.gateway.edge.Requests;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.SocketAddress;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The headers a relayed message keeps: end-to-end ones only (RFC 9110 §7.6.1: never the hop-by-hop
 * ones, nor those the {@code Connection} header names), and on the way to a node the request id and
 * {@code X-Forwarded-For}, {@code -Proto}, {@code -Host}. When the gateway traces, the client's W3C
 * trace context is not copied: the gateway's own span continues it, and Vert.x's client writes
 * the context naming that span (it adds its header, so a copied one would come first and be read).
 */
final class Headers {

  /** Headers of one connection, not of the message, never forwarded; any case. */
  private static final String[] HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection",
    "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host",
    "http2-settings"};
  /** What a WebSocket handshake carries of its own: the gateway's handshake with the node makes them anew. */
  private static final String[] HANDSHAKE = {"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
    "sec-websocket-protocol", "content-length"};
  /** The W3C trace context, which a tracing gateway writes anew for the node. */
  private static final String[] TRACE_CONTEXT = {"traceparent", "tracestate"};
  static final CharSequence FORWARDED_FOR = HttpHeaders.createOptimized("X-Forwarded-For");
  private static final CharSequence FORWARDED_PROTO = HttpHeaders.createOptimized("X-Forwarded-Proto");
  private static final CharSequence FORWARDED_HOST = HttpHeaders.createOptimized("X-Forwarded-Host");
  private static final CharSequence STRICT_TRANSPORT_SECURITY = HttpHeaders.createOptimized("Strict-Transport-Security");
  private static final CharSequence HTTP = HttpHeaders.createOptimized("http");
  private static final CharSequence HTTPS = HttpHeaders.createOptimized("https");

  private Headers() {
  }

  /** Whether this Vert.x has a tracer, which then writes the trace context of every request to a node. */
  static boolean traced(Vertx vertx) {
    return ((VertxInternal) vertx).tracer() != null;
  }

  /**
   * The client's end-to-end headers, the request id and X-Forwarded-*, written into {@code to} (the
   * request to the node); the client's trace context too unless {@code traced}.
   */
  static void toNode(HttpServerRequest in, String requestId, MultiMap to, boolean traced) {
    copy(in.headers(), to, false, traced);
    forwarded(in, requestId, to);
  }

  /** As {@link #toNode}, for a WebSocket handshake: its own handshake headers left out too. */
  static void handshakeToNode(HttpServerRequest in, String requestId, MultiMap to, boolean traced) {
    copy(in.headers(), to, true, traced);
    forwarded(in, requestId, to);
  }

  /**
   * The node's end-to-end headers, written into {@code to} (the response to the client). A
   * {@code Strict-Transport-Security} the gateway set already stays the only one: it ends TLS, and
   * a node behind it knows nothing of it.
   */
  static void toClient(MultiMap from, MultiMap to) {
    String ownHsts = to.get(STRICT_TRANSPORT_SECURITY);
    copy(from, to, false, false);
    if (ownHsts != null) {
      to.set(STRICT_TRANSPORT_SECURITY, ownHsts);
    }
  }

  private static void forwarded(HttpServerRequest in, String requestId, MultiMap to) {
    to.set(Requests.REQUEST_ID, requestId);
    // From the connection and the Host header as received: the request's own remoteAddress() and
    // authority() go through vertx-web's forwarded-header view, which builds an absolute URI first.
    HttpConnection connection = in.connection();
    SocketAddress peer = connection.remoteAddress();
    if (peer != null && peer.hostAddress() != null) {
      List<String> prior = in.headers().getAll(FORWARDED_FOR);
      to.set(FORWARDED_FOR, prior.isEmpty() ? peer.hostAddress() : String.join(", ", prior) + ", " + peer.hostAddress());
    }
    to.set(FORWARDED_PROTO, connection.isSsl() ? HTTPS : HTTP);
    String host = in.getHeader(HttpHeaders.HOST);
    if (host == null && in.version() == HttpVersion.HTTP_2 && in.authority() != null) {
      host = in.authority().toString(); // HTTP/2 names it in :authority, and sends no Host
    }
    if (host != null) {
      to.set(FORWARDED_HOST, host);
    }
  }

  private static void copy(MultiMap from, MultiMap to, boolean handshake, boolean traced) {
    Set<String> named = Set.of();
    if (from.contains(HttpHeaders.CONNECTION)) {
      named = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
      for (String connection : from.getAll(HttpHeaders.CONNECTION)) {
        for (String token : connection.split(",")) {
          named.add(token.trim());
        }
      }
    }
    for (Map.Entry<String, String> header : from) {
      String name = header.getKey();
      if (!is(HOP_BY_HOP, name) && !named.contains(name) && !(handshake && is(HANDSHAKE, name))
        && !(traced && is(TRACE_CONTEXT, name))) {
        to.add(name, header.getValue());
      }
    }
  }

  /** Run for every header both ways: a length compare turns almost every name away at once. */
  private static boolean is(String[] names, String name) {
    for (String candidate : names) {
      if (candidate.length() == name.length() && candidate.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }
}
