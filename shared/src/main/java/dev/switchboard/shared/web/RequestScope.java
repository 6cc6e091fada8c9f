package dev.switchboard.shared.web;

import dev.switchboard.shared.Ids;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * One HTTP request as the logs see it: its id, its trace id, when it started, and what the handlers
 * tell of it (the route that took it, the node that answered). Kept in the request's own Vert.x
 * context (each request of a Vert.x HTTP server runs on a duplicate context of its own, and what a
 * handler starts from there, an HTTP client call, an event bus request, a timer, calls back on the
 * same one), so {@link #current()} finds it wherever the request's work goes in this process, and
 * {@link RequestMdc} puts its ids into every log line written there.
 */
public final class RequestScope {

  /** The header that carries a request's id, from the client or the gateway, and back to the client. */
  public static final String REQUEST_ID = "X-Request-Id";
  /** The W3C Trace Context header; only its trace id is read here. */
  public static final String TRACEPARENT = "traceparent";
  /** A request id from the client is kept if it is this safe and this short; otherwise a new one is made. */
  public static final Pattern SAFE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final int TRACE_ID_START = 3;
  private static final int TRACE_ID_END = TRACE_ID_START + 32;
  /** The key of a request's scope in its context's local data. */
  private static final Object KEY = RequestScope.class;

  /** The request, until its line is written for an upgrade; null after {@link #release}. */
  HttpServerRequest request;
  final long startMillis;
  final long startNanos;
  private final String id;
  private final String traceId;
  private String route;
  private String upstream;
  /** Set once the request's line is written (or it was upgraded and its line written then). */
  boolean logged;
  /** The access log that writes its line; null when none does. */
  AccessLog accessLog;

  private RequestScope(HttpServerRequest request, String id, String traceId) {
    this.request = request;
    this.id = id;
    this.traceId = traceId;
    this.startMillis = System.currentTimeMillis();
    this.startNanos = System.nanoTime();
  }

  /**
   * Opens the scope of {@code request} on the current context, which must be the request's own:
   * call from the server's request handler. Returns null where there is no duplicate context to
   * hold it (a test calling a handler by hand).
   */
  static RequestScope open(HttpServerRequest request) {
    String given = request.getHeader(REQUEST_ID);
    String id = given != null && SAFE_REQUEST_ID.matcher(given).matches() ? given : Ids.randomUuid().toString();
    RequestScope scope = new RequestScope(request, id, traceId(request.getHeader(TRACEPARENT)));
    Context context = Vertx.currentContext();
    if (context instanceof ContextInternal internal && internal.isDuplicate()) {
      internal.localContextData().put(KEY, scope);
    }
    return scope;
  }

  /** The scope of the request whose work runs on this thread now, or null outside any request. */
  public static RequestScope current() {
    Context context = Vertx.currentContext();
    if (!(context instanceof ContextInternal internal) || !internal.isDuplicate()) {
      return null;
    }
    // Read without creating the local data map: a duplicate context of no request has none.
    Map<Object, Object> locals = ContextInternal.LOCAL_MAP.get(internal);
    return locals == null ? null : (RequestScope) locals.get(KEY);
  }

  /**
   * The trace id of a {@code traceparent} header ({@code 00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>},
   * later versions may append fields), or null when it has none or it is malformed or all zeros.
   */
  static String traceId(String traceparent) {
    if (traceparent == null || traceparent.length() < 55 || traceparent.charAt(2) != '-' || traceparent.charAt(TRACE_ID_END) != '-') {
      return null;
    }
    boolean zero = true;
    for (int i = TRACE_ID_START; i < TRACE_ID_END; i++) {
      char c = traceparent.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return null;
      }
      zero &= c == '0';
    }
    return zero ? null : traceparent.substring(TRACE_ID_START, TRACE_ID_END);
  }

  /**
   * Lets go of the request (its headers, its response) and of the access log, keeping the ids:
   * for a scope that outlives its request, that of a connection upgraded to a WebSocket.
   */
  void release() {
    request = null;
    accessLog = null;
  }

  /** The request's id: the safe one it came with, or one made for it. */
  public String id() {
    return id;
  }

  /** The trace id of its {@code traceparent}, or null. */
  public String traceId() {
    return traceId;
  }

  /** Names the route that took the request (a gateway's route prefix, a bus route's path), for its log line. */
  public RequestScope route(String route) {
    this.route = route;
    return this;
  }

  public String route() {
    return route;
  }

  /** Names the node that answered the request (the gateway's backend), for its log line. */
  public RequestScope upstream(String upstream) {
    this.upstream = upstream;
    return this;
  }

  public String upstream() {
    return upstream;
  }
}
