package dev.switchboard.gateway.compose;

import dev.switchboard.shared.web.LastAnswer;
import dev.switchboard.gateway.config.BusRoute;
import dev.switchboard.gateway.edge.Edge;
import dev.switchboard.gateway.edge.Requests;
import dev.switchboard.gateway.edge.TokenCheck;
import dev.switchboard.shared.auth.Identity;
import dev.switchboard.shared.auth.IdentityHeaders;
import dev.switchboard.shared.web.JsonErrors;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * HTTP endpoints answered by one event bus request each (the {@code busRoutes}): the request's
 * JSON body ({@code POST}, {@code PUT}) or its query parameters ({@code GET}) are the message, the
 * reply is the response, and a refusal or a silence on the bus is an HTTP status. A route that asks
 * for a token sends the caller's subject and scopes in the message's {@link IdentityHeaders}.
 */
public final class BusEndpoints {

  private static final Logger log = LoggerFactory.getLogger(BusEndpoints.class);

  /** Largest JSON body a bus route reads; bus messages are small by design. */
  public static final int MAX_BUS_BODY = 64 * 1024;

  private final Vertx vertx;
  private final TokenCheck tokens;

  public BusEndpoints(Vertx vertx, TokenCheck tokens) {
    this.vertx = vertx;
    this.tokens = tokens;
  }

  /** Mounts {@code routes} on {@code router}. */
  public void mount(Router router, List<BusRoute> routes) {
    for (BusRoute route : routes) {
      router.route(route.method(), route.path()).handler(ctx -> tokens.admit(ctx, route.access(), identity -> handle(ctx, route, identity)));
    }
  }

  private void handle(RoutingContext ctx, BusRoute route, Identity identity) {
    HttpServerRequest request = ctx.request();
    Future<Object> message;
    if (route.method() == HttpMethod.GET) {
      message = Future.succeededFuture(query(request.params()));
    } else if (Edge.declaredTooLarge(ctx.request(), Requests.id(ctx), MAX_BUS_BODY)) {
      return;
    } else {
      message = readBounded(request, MAX_BUS_BODY).map(BusEndpoints::parseBody);
    }
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(route.timeout().toMillis());
    if (identity != null) {
      delivery.addHeader(IdentityHeaders.SUBJECT, identity.subject()).addHeader(IdentityHeaders.SCOPES, identity.scopeList());
    }
    message
      .compose(body -> vertx.eventBus().request(route.address(), body, delivery))
      .onSuccess(reply -> {
        Object body = reply.body();
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(body instanceof JsonObject || body instanceof JsonArray ? body.toString() : Json.encode(body));
      })
      .onFailure(failure -> failed(ctx, route, failure));
  }

  /** The body, or a 413 failure as soon as it passes {@code max} bytes (what arrived is dropped). */
  private static Future<Buffer> readBounded(HttpServerRequest request, int max) {
    Promise<Buffer> read = Promise.promise();
    Buffer body = Buffer.buffer();
    request.handler(chunk -> {
      if (body.length() + chunk.length() > max) {
        request.handler(null);
        read.tryFail(new BadBody(413, "request body too large"));
      } else {
        body.appendBuffer(chunk);
      }
    });
    request.exceptionHandler(read::tryFail);
    request.endHandler(v -> read.tryComplete(body));
    return read.future();
  }

  private static Object parseBody(Buffer body) {
    if (body.length() == 0) {
      return new JsonObject();
    }
    try {
      Object parsed = Json.decodeValue(body);
      if (parsed instanceof JsonObject || parsed instanceof JsonArray) {
        return parsed;
      }
    } catch (DecodeException e) {
      throw new BadBody(400, "request body is not JSON");
    }
    throw new BadBody(400, "request body must be a JSON object or array");
  }

  private static void failed(RoutingContext ctx, BusRoute route, Throwable failure) {
    int status;
    JsonObject body = new JsonObject();
    if (failure instanceof BadBody bad) {
      status = bad.status;
      body.put("error", bad.getMessage());
    } else if (failure instanceof ReplyException reply) {
      switch (reply.failureType()) {
        case NO_HANDLERS -> {
          status = 503;
          ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
          body.put("error", "nothing on the bus answers " + route.address());
        }
        case TIMEOUT -> {
          status = 504;
          body.put("error", route.address() + " did not answer within " + route.timeout().toMillis() + " ms");
        }
        default -> {
          // The service refused: its code when it is an HTTP error status, 502 otherwise.
          status = reply.failureCode() >= 400 && reply.failureCode() <= 599 ? reply.failureCode() : 502;
          body.put("error", reply.getMessage() == null ? route.address() + " failed" : reply.getMessage());
        }
      }
    } else {
      if (ctx.response().closed()) {
        return;
      }
      status = 500;
      log.warn("[{}] bus route {} failed", Requests.id(ctx), route.format(), failure);
      body.put("error", "internal error");
    }
    body.put("address", route.address()).put("requestId", Requests.id(ctx));
    if (failure instanceof BadBody && status == 413) {
      // A body refused part-way is left unread: on HTTP/1.x the connection cannot carry another request.
      LastAnswer.send(ctx.request(), status, body);
    } else {
      JsonErrors.send(ctx.response(), status, body);
    }
  }

  /** Query parameters as a JSON object: one value as a string, repeated ones as an array. */
  static JsonObject query(MultiMap params) {
    JsonObject json = new JsonObject();
    for (String name : params.names()) {
      List<String> values = params.getAll(name);
      json.put(name, values.size() == 1 ? values.get(0) : new JsonArray(new ArrayList<>(values)));
    }
    return json;
  }

  /** A request body a bus route cannot send. */
  private static final class BadBody extends RuntimeException {
    final int status;

    BadBody(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }
}
