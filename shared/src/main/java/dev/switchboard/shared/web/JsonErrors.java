package dev.switchboard.shared.web;

import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Every error a client gets is a small JSON object, {@code {"error": "...", ...}}, with the status
 * that says what went wrong: 404 unknown path, 405 with {@code Allow}, 413, 414, 431, 400, and
 * 500 without any detail of the failure (which is logged once, here).
 */
public final class JsonErrors {

  private static final Logger log = LoggerFactory.getLogger(JsonErrors.class);
  private static final CharSequence APPLICATION_JSON = HttpHeaders.createOptimized("application/json");

  private JsonErrors() {
  }

  /**
   * Installs the JSON error handlers on {@code router}; call it after every route is added, since
   * the {@code Allow} header of a 405 is computed from the routes.
   */
  public static void install(Router router) {
    Map<String, String> allowed = allowedMethods(router);
    router.errorHandler(404, ctx -> send(ctx.response(), 404, new JsonObject()
      .put("error", "not found").put("path", ctx.request().path())));
    router.errorHandler(405, ctx -> {
      String allow = allowed.getOrDefault(ctx.request().path(), "");
      ctx.response().putHeader(HttpHeaders.ALLOW, allow);
      send(ctx.response(), 405, new JsonObject()
        .put("error", "method not allowed").put("method", ctx.request().method().name()).put("allow", allow));
    });
    router.errorHandler(413, ctx -> {
      // A body refused before its end (BodyHandler's limit) would otherwise be read to its end,
      // however long it is, to keep the connection: it is its connection's last answer instead.
      JsonObject body = new JsonObject().put("error", "request body too large");
      if (ctx.request().isEnded()) {
        send(ctx.response(), 413, body);
      } else {
        LastAnswer.send(ctx.request(), 413, body);
      }
    });
    router.errorHandler(500, JsonErrors::internal);
  }

  /** For {@code HttpServer.invalidRequestHandler}: requests the HTTP decoder could not read. */
  public static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    int status;
    String error;
    if (cause instanceof HttpFramingException framing) {
      status = framing.status();
      error = framing.getMessage();
    } else if (cause instanceof TooLongHttpLineException) {
      status = 414;
      error = "request line too long";
    } else if (cause instanceof TooLongHttpHeaderException) {
      status = 431;
      error = "request header fields too large";
    } else if (cause instanceof TooLongFrameException) {
      status = 431;
      error = "request too large";
    } else {
      status = 400;
      error = "malformed request";
    }
    LastAnswer.send(request, status, new JsonObject().put("error", error));
  }

  /** Ends {@code response} with {@code status} and {@code body}, unless it was already started. */
  public static Future<Void> send(HttpServerResponse response, int status, JsonObject body) {
    if (response.headWritten() || response.ended()) {
      return Future.succeededFuture();
    }
    return response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, APPLICATION_JSON).end(body.encode());
  }

  private static void internal(RoutingContext ctx) {
    internal(ctx.request(), ctx.failure());
  }

  /**
   * What a router answers when a handler throws, for a handler that no router runs: the failure
   * logged, 500 with a JSON body, or the connection closed if the response has begun.
   */
  public static void internal(HttpServerRequest request, Throwable failure) {
    log.error("{} {} failed", request.method(), request.path(), failure);
    if (request.response().headWritten()) {
      request.connection().close();
      return;
    }
    send(request.response(), 500, new JsonObject().put("error", "internal error"));
  }

  private static Map<String, String> allowedMethods(Router router) {
    Map<String, Set<String>> methods = new TreeMap<>();
    for (Route route : router.getRoutes()) {
      if (route.getPath() == null || route.methods() == null) {
        continue;
      }
      Set<String> names = methods.computeIfAbsent(route.getPath(), p -> new TreeSet<>());
      for (HttpMethod method : route.methods()) {
        names.add(method.name());
      }
    }
    Map<String, String> allow = new TreeMap<>();
    methods.forEach((path, names) -> allow.put(path, names.stream().collect(Collectors.joining(", "))));
    return allow;
  }
}
