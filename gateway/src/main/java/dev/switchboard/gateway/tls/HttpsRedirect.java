package dev.switchboard.gateway.tls;

import dev.switchboard.gateway.config.TlsOptions;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

import java.util.function.IntSupplier;

/**
 * The plain HTTP port's one answer: {@code 308 Permanent Redirect} (the method and body kept) to the
 * same path and query over HTTPS, with {@code {"error":"this port is plain HTTP: use HTTPS","location":"https://…"}}.
 * The host is {@code tlsPublicHost} when set; otherwise the request's {@code Host} without its port,
 * when it is a host name or address (anything else, with no public host to fall back on, is
 * {@code 400}: a redirect built from a forged {@code Host} would send the client, or a cache in
 * between, anywhere). Never {@code Strict-Transport-Security}: browsers ignore it over plain HTTP.
 */
public final class HttpsRedirect implements Handler<HttpServerRequest> {

  private static final CharSequence JSON = HttpHeaders.createOptimized("application/json");
  private static final int DEFAULT_HTTPS_PORT = 443;

  private final TlsOptions options;
  private final IntSupplier httpsPort;

  /**
   * @param httpsPort the port the gateway serves HTTPS on, asked once it listens (used when
   *                  {@code tlsPublicPort} is 0)
   */
  public HttpsRedirect(TlsOptions options, IntSupplier httpsPort) {
    this.options = options;
    this.httpsPort = httpsPort;
  }

  @Override
  public void handle(HttpServerRequest request) {
    String host = options.publicHost().isEmpty() ? hostOf(request.getHeader(HttpHeaders.HOST)) : options.publicHost();
    if (host == null) {
      refuse(request, "no valid Host header to redirect to HTTPS with");
      return;
    }
    String target = target(request);
    if (target == null) {
      refuse(request, "the request target is not a path a redirect can name");
      return;
    }
    int port = options.publicPort() != 0 ? options.publicPort() : httpsPort.getAsInt();
    String location = "https://" + host + (port == DEFAULT_HTTPS_PORT ? "" : ":" + port) + target;
    request.response()
      .setStatusCode(308)
      .putHeader(HttpHeaders.LOCATION, location)
      .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
      .end(new JsonObject().put("error", "this port is plain HTTP: use HTTPS").put("location", location).encode());
  }

  /** The host part of a {@code Host} header, if it names a host; null otherwise. */
  static String hostOf(String header) {
    if (header == null) {
      return null;
    }
    String host = header.trim();
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      if (end < 0 || !(end == host.length() - 1 || port(host.substring(end + 1)))) {
        return null;
      }
      host = host.substring(0, end + 1);
    } else {
      int colon = host.lastIndexOf(':');
      if (colon >= 0) {
        if (!port(host.substring(colon))) {
          return null;
        }
        host = host.substring(0, colon);
      }
    }
    return TlsOptions.isHost(host) ? host : null;
  }

  private static boolean port(String colonAndPort) {
    return colonAndPort.matches(":\\d{1,5}");
  }

  /** The path and query to send the client to: printable ASCII and starting with a slash, or null. */
  static String target(HttpServerRequest request) {
    String uri = request.uri();
    if (uri == null) {
      return null;
    }
    if (!uri.startsWith("/")) {
      // absolute-form (http://host/path): its path and query only
      String path = request.path();
      if (path == null || !path.startsWith("/")) {
        return null;
      }
      uri = request.query() == null ? path : path + "?" + request.query();
    }
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c <= ' ' || c > '~') {
        return null;
      }
    }
    return uri;
  }

  private static void refuse(HttpServerRequest request, String error) {
    request.response()
      .setStatusCode(400)
      .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
      .end(new JsonObject().put("error", error).encode());
  }
}
