package dev.switchboard.shared.web;

import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.IngressOptions.AccessLogFormat;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * The access log: one line per request an HTTP server of the process answers, on the logger
 * {@value #LOGGER} at INFO, written when the response ends, or when the connection closes before
 * it did (status 0, {@code "error":"connection closed"}). Every HTTP server wraps its request
 * handler with {@link #handler}, which also opens the request's {@link RequestScope} (its id for
 * every log line written while it is handled); a server that routes with a {@link Router} also
 * {@link #mount}s it, since a router takes the response's end handler for its own. A request
 * upgraded to a WebSocket is logged when the upgrade succeeds ({@link #upgraded}).
 *
 * <p>A line is only put together when the logger is on for INFO, and a query's
 * {@code access_token} is never written: its value is replaced by {@code …}. No header is
 * written at all (so no {@code Authorization}).
 */
public final class AccessLog {

  /** The logger every access line goes to: route it, or turn it off, in the logging configuration. */
  public static final String LOGGER = "switchboard.access";
  /** A line's status for a request whose connection closed before its response ended. */
  public static final int CLOSED = 0;
  private static final Logger log = LoggerFactory.getLogger(LOGGER);
  private static final String REDACTED = "…";
  private static final String TOKEN_PARAMETER = BearerTokens.QUERY_PARAMETER + "=";
  private static final DateTimeFormatter COMMON_TIME = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT)
    .withZone(ZoneOffset.UTC);

  private final AccessLogFormat format;
  private final TrustedProxies clients;
  /** The last time written, as written: lines come by the thousand a second, most in a millisecond that had one already. */
  private Stamp stamp = new Stamp(Long.MIN_VALUE, "");

  /** A line's time in milliseconds since the epoch, and as the format writes it. Replaced whole: any thread may read it. */
  private record Stamp(long millis, String text) {
  }

  private AccessLog(AccessLogFormat format, TrustedProxies clients) {
    this.format = format;
    this.clients = clients;
  }

  /** The access log of a process with these ingress settings (its format, its trusted proxies). */
  public static AccessLog create(IngressOptions ingress) {
    return new AccessLog(ingress.accessLog(), new TrustedProxies(ingress.proxies()));
  }

  /**
   * {@code next} with each request's scope opened first, and its line written at its end. The
   * response's end handler is the access log's: a handler that needs one goes through the router.
   */
  public Handler<HttpServerRequest> handler(Handler<HttpServerRequest> next) {
    return request -> {
      RequestScope scope = RequestScope.open(request);
      if (format == AccessLogFormat.OFF) {
        scope.logged = true; // nothing to write, for upgrades too
      } else {
        scope.accessLog = this;
        request.response().endHandler(v -> ended(scope, null));
      }
      next.handle(request);
    };
  }

  /**
   * Keeps the line of each request {@code router} routes: mount before any other route. A router
   * sets the response's end handler for its own end handlers; the line is written from there, with
   * the path of the route that took the request.
   */
  public void mount(Router router) {
    if (format == AccessLogFormat.OFF) {
      return;
    }
    router.route().order(Integer.MIN_VALUE).handler(ctx -> {
      RequestScope scope = RequestScope.current();
      if (scope != null && !scope.logged) {
        ctx.addEndHandler(v -> ended(scope, ctx));
      }
      ctx.next();
    });
  }

  /**
   * Writes the line of the request of {@code scope} (null: none), just upgraded to a WebSocket, with
   * status 101: its connection now carries the WebSocket, and has no HTTP response to end.
   */
  public static void upgraded(RequestScope scope) {
    if (scope == null) {
      return;
    }
    if (!scope.logged) {
      scope.logged = true;
      if (log.isInfoEnabled()) {
        log.info(scope.accessLog.line(scope, null, 101));
      }
    }
    // The scope stays in the context the WebSocket runs on, for the ids of its log lines, as long as
    // the connection lives: idle connections by the ten thousand must not each keep a request too.
    scope.release();
  }

  /** Writes the line of {@code scope}'s request, in the format of the access log that opened it. */
  private static void ended(RequestScope scope, RoutingContext ctx) {
    if (scope.logged) {
      return;
    }
    scope.logged = true;
    if (!log.isInfoEnabled()) {
      return;
    }
    HttpServerResponse response = scope.request.response();
    log.info(scope.accessLog.line(scope, ctx, response.ended() ? response.getStatusCode() : CLOSED));
  }

  private String line(RequestScope scope, RoutingContext ctx, int status) {
    HttpServerRequest request = scope.request;
    String route = scope.route();
    if (route == null) {
      Route matched = ctx == null ? null : ctx.currentRoute();
      route = matched != null && matched.getPath() != null ? matched.getPath() : request.path();
    }
    long micros = (System.nanoTime() - scope.startNanos) / 1_000;
    long sent = status == 101 ? 0 : request.response().bytesWritten();
    long received = request.bytesRead();
    String client = clients.client(request);
    String uri = redact(request.uri());
    StringBuilder out = new StringBuilder(256);
    if (format == AccessLogFormat.COMMON) {
      out.append(client).append(" - - [").append(time(scope.startMillis)).append("] \"")
        .append(request.method().name()).append(' ');
      appendEscaped(out, uri);
      out.append(' ').append(protocol(request.version())).append("\" ").append(status).append(' ').append(sent)
        .append(" rid=").append(scope.id())
        .append(" trace=").append(scope.traceId() == null ? "-" : scope.traceId())
        .append(" route=").append(route)
        .append(" upstream=").append(scope.upstream() == null ? "-" : scope.upstream())
        .append(" in=").append(received)
        .append(" ms=");
      millis(out, micros);
      if (status == CLOSED) {
        out.append(" error=closed");
      }
      return out.toString();
    }
    out.append("{\"time\":\"").append(time(scope.startMillis))
      .append("\",\"requestId\":\"").append(scope.id()).append('"');
    if (scope.traceId() != null) {
      out.append(",\"traceId\":\"").append(scope.traceId()).append('"');
    }
    out.append(",\"client\":\"").append(client)
      .append("\",\"method\":\"").append(request.method().name())
      .append("\",\"uri\":\"");
    appendEscaped(out, uri);
    out.append("\",\"route\":\"");
    appendEscaped(out, route);
    out.append("\",\"status\":").append(status)
      .append(",\"bytesSent\":").append(sent)
      .append(",\"bytesReceived\":").append(received)
      .append(",\"durationMs\":");
    millis(out, micros);
    if (scope.upstream() != null) {
      out.append(",\"upstream\":\"");
      appendEscaped(out, scope.upstream());
      out.append('"');
    }
    if (status == CLOSED) {
      out.append(",\"error\":\"connection closed\"");
    }
    return out.append('}').toString();
  }

  /** {@code millis} as the format writes a line's time. */
  private String time(long millis) {
    Stamp last = stamp;
    if (last.millis() != millis) {
      Instant instant = Instant.ofEpochMilli(millis);
      last = new Stamp(millis, format == AccessLogFormat.COMMON ? COMMON_TIME.format(instant) : instant.toString());
      stamp = last;
    }
    return last.text();
  }

  /**
   * {@code uri} with the value of every {@code access_token} query parameter replaced by {@code …}
   * (a token in a log is a token anyone who reads the log holds).
   */
  static String redact(String uri) {
    int query = uri.indexOf('?');
    if (query < 0 || uri.indexOf(TOKEN_PARAMETER, query) < 0) {
      return uri;
    }
    StringBuilder out = new StringBuilder(uri.length()).append(uri, 0, query + 1);
    int start = query + 1;
    while (start <= uri.length()) {
      int amp = uri.indexOf('&', start);
      int end = amp < 0 ? uri.length() : amp;
      int hash = uri.indexOf('#', start);
      if (hash >= 0 && hash < end) {
        end = hash;
      }
      if (uri.startsWith(TOKEN_PARAMETER, start)) {
        out.append(TOKEN_PARAMETER).append(REDACTED);
      } else {
        out.append(uri, start, end);
      }
      if (end == uri.length()) {
        break;
      }
      if (uri.charAt(end) == '#') {
        out.append(uri, end, uri.length());
        break;
      }
      out.append('&');
      start = end + 1;
    }
    return out.toString();
  }

  private static String protocol(HttpVersion version) {
    return switch (version) {
      case HTTP_1_0 -> "HTTP/1.0";
      case HTTP_1_1 -> "HTTP/1.1";
      case HTTP_2 -> "HTTP/2.0";
    };
  }

  private static void millis(StringBuilder out, long micros) {
    out.append(micros / 1_000).append('.');
    long fraction = micros % 1_000;
    if (fraction < 100) {
      out.append('0');
    }
    if (fraction < 10) {
      out.append('0');
    }
    out.append(fraction);
  }

  /** Appends {@code text} as the inside of a JSON string (what a client sent may hold quotes or controls). */
  private static void appendEscaped(StringBuilder out, String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
  }
}
