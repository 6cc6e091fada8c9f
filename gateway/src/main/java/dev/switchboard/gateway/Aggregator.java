package dev.switchboard.gateway;

import dev.switchboard.shared.web.JsonErrors;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Endpoints the gateway answers itself from the services behind it: bus routes (one HTTP request,
 * one bus request) and the BFF endpoints of each front-end (several bus requests and HTTP calls in
 * parallel, each with its own time-out, composed into one answer that says which parts are missing).
 */
final class Aggregator {

  private static final Logger log = LoggerFactory.getLogger(Aggregator.class);

  /** Largest JSON body a bus route reads; bus messages are small by design. */
  static final int MAX_BUS_BODY = 64 * 1024;
  /** Largest answer of an HTTP part; a part is one piece of a screen, not a download. */
  private static final int MAX_PART_BODY = 1024 * 1024;

  private final Vertx vertx;
  private final HttpClient client;
  private final Backends backends;
  private final Map<String, Balancer> balancers = new LinkedHashMap<>();

  Aggregator(Vertx vertx, HttpClient client, Backends backends) {
    this.vertx = vertx;
    this.client = client;
    this.backends = backends;
  }

  /** Mounts the bus routes and BFF endpoints; returns their paths. */
  Set<String> mount(Router router, List<BusRoute> busRoutes, List<BffEndpoint> endpoints) {
    Set<String> paths = new HashSet<>();
    for (BusRoute route : busRoutes) {
      router.route(route.method(), route.path()).handler(ctx -> busRoute(ctx, route));
      paths.add(route.path());
    }
    for (BffEndpoint endpoint : endpoints) {
      for (BffEndpoint.Part part : endpoint.parts()) {
        if (part.kind() == BffEndpoint.Kind.GET) {
          balancers.computeIfAbsent(part.target(), s -> new Balancer.RoundRobin());
        }
      }
      router.get(endpoint.path()).handler(ctx -> aggregate(ctx, endpoint));
      paths.add(endpoint.path());
    }
    return paths;
  }

  private void busRoute(RoutingContext ctx, BusRoute route) {
    HttpServerRequest request = ctx.request();
    Future<Object> message;
    if (route.method() == HttpMethod.GET) {
      message = Future.succeededFuture(query(request.params()));
    } else if (Edge.declaredTooLarge(ctx, MAX_BUS_BODY)) {
      return;
    } else {
      message = readBounded(request, MAX_BUS_BODY).map(Aggregator::parseBody);
    }
    message
      .compose(body -> vertx.eventBus().request(route.address(), body,
        new DeliveryOptions().setSendTimeout(route.timeout().toMillis())))
      .onSuccess(reply -> {
        Object body = reply.body();
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(body instanceof JsonObject || body instanceof JsonArray ? body.toString() : Json.encode(body));
      })
      .onFailure(failure -> busFailure(ctx, route, failure));
  }

  /** The body, or a 413 failure as soon as it passes {@code max} bytes (what arrived is dropped). */
  private static Future<Buffer> readBounded(HttpServerRequest request, int max) {
    Promise<Buffer> read = Promise.promise();
    Buffer body = Buffer.buffer();
    request.handler(chunk -> {
      if (body.length() + chunk.length() > max) {
        request.handler(null);
        request.response().putHeader(HttpHeaders.CONNECTION, "close");
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

  private static void busFailure(RoutingContext ctx, BusRoute route, Throwable failure) {
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
      log.warn("[{}] bus route {} failed", Edge.requestId(ctx), route.format(), failure);
      body.put("error", "internal error");
    }
    JsonErrors.send(ctx.response(), status, body.put("address", route.address()).put("requestId", Edge.requestId(ctx)));
  }

  /** Query parameters as a JSON object: one value as a string, repeated ones as an array. */
  private static JsonObject query(MultiMap params) {
    JsonObject json = new JsonObject();
    for (String name : params.names()) {
      List<String> values = params.getAll(name);
      json.put(name, values.size() == 1 ? values.get(0) : new JsonArray(new ArrayList<>(values)));
    }
    return json;
  }

  private void aggregate(RoutingContext ctx, BffEndpoint endpoint) {
    JsonObject message = query(ctx.request().params());
    String requestId = Edge.requestId(ctx);
    List<Future<Object>> answers = new ArrayList<>();
    long started = System.nanoTime();
    for (BffEndpoint.Part part : endpoint.parts()) {
      answers.add(ask(part, message, requestId).map(value -> select(value, part.fields())));
    }
    Future.join(answers).onComplete(all -> {
      JsonObject data = new JsonObject();
      JsonObject errors = new JsonObject();
      for (int i = 0; i < answers.size(); i++) {
        BffEndpoint.Part part = endpoint.parts().get(i);
        Future<Object> answer = answers.get(i);
        if (answer.succeeded()) {
          data.put(part.name(), answer.result());
        } else {
          errors.put(part.name(), partError(part, answer.cause()));
        }
      }
      JsonObject body = new JsonObject().put("data", data).put("errors", errors)
        .put("partial", !errors.isEmpty())
        .put("ms", (System.nanoTime() - started) / 1_000_000)
        .put("requestId", requestId);
      if (ctx.response().closed()) {
        return;
      }
      // Some parts is a page the front-end can draw; none is a failure of the gateway's own.
      ctx.response().setStatusCode(data.isEmpty() ? 502 : 200)
        .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
        .end(body.encode());
    });
  }

  private Future<Object> ask(BffEndpoint.Part part, JsonObject message, String requestId) {
    long timeout = part.timeout().toMillis();
    if (part.kind() == BffEndpoint.Kind.BUS) {
      return vertx.eventBus().request(part.target(), message.copy(), new DeliveryOptions().setSendTimeout(timeout))
        .map(reply -> reply.body());
    }
    List<Backend> nodes = backends.available(part.target(), Set.of());
    if (nodes.isEmpty()) {
      return Future.failedFuture(new PartFailure("unavailable", "no " + part.target() + " node is available"));
    }
    Backend node = balancers.get(part.target()).pick(nodes, null);
    Promise<Object> answer = Promise.promise();
    // The time-out covers the whole call: connecting, the answer's head and its body.
    long timer = vertx.setTimer(timeout, t -> answer.tryFail(new TimeoutException()));
    node.started();
    client.request(new RequestOptions()
        .setMethod(HttpMethod.GET)
        .setServer(node.address())
        .setHost(node.address().host())
        .setPort(node.address().port())
        .setURI(part.path())
        .setTimeout(timeout)
        .putHeader(HttpForwarder.REQUEST_ID, requestId)
        .putHeader(HttpHeaders.ACCEPT, "application/json"))
      .compose(request -> request.send())
      .compose(response -> {
        if (response.statusCode() != 200) {
          return response.body().compose(ignored -> Future.failedFuture(
            new PartFailure("failed", part.target() + " answered " + response.statusCode())));
        }
        if (HttpForwarder.contentLength(response.headers()) > MAX_PART_BODY) {
          response.request().reset();
          return Future.failedFuture(new PartFailure("failed", part.target() + " answered more than " + MAX_PART_BODY + " bytes"));
        }
        return response.body().map(body -> {
          if (body.length() > MAX_PART_BODY) {
            throw new PartFailure("failed", part.target() + " answered more than " + MAX_PART_BODY + " bytes");
          }
          try {
            return Json.decodeValue(body);
          } catch (DecodeException e) {
            throw new PartFailure("failed", part.target() + " did not answer JSON");
          }
        });
      })
      .onComplete(done -> {
        node.finished();
        vertx.cancelTimer(timer);
        if (done.succeeded()) {
          answer.tryComplete(done.result());
        } else {
          answer.tryFail(done.cause());
        }
      });
    return answer.future();
  }

  private static JsonObject partError(BffEndpoint.Part part, Throwable cause) {
    JsonObject error = new JsonObject();
    if (cause instanceof PartFailure failure) {
      return error.put("status", failure.status).put("error", failure.getMessage());
    }
    if (cause instanceof TimeoutException
      || cause instanceof ReplyException reply && reply.failureType() == io.vertx.core.eventbus.ReplyFailure.TIMEOUT) {
      return error.put("status", "timeout").put("error", "no answer within " + part.timeout().toMillis() + " ms");
    }
    if (cause instanceof ReplyException reply) {
      return switch (reply.failureType()) {
        case NO_HANDLERS -> error.put("status", "unavailable").put("error", "nothing on the bus answers " + part.target());
        default -> error.put("status", "failed").put("code", reply.failureCode()).put("error", reply.getMessage());
      };
    }
    return error.put("status", "failed").put("error", cause.getClass().getSimpleName());
  }

  /** Keeps only {@code fields} (dotted paths) of {@code value}; arrays keep their elements, each reduced. */
  static Object select(Object value, List<String> fields) {
    if (fields.isEmpty()) {
      return value;
    }
    if (value instanceof JsonArray array) {
      JsonArray reduced = new JsonArray();
      for (Object item : array) {
        reduced.add(select(item, fields));
      }
      return reduced;
    }
    if (!(value instanceof JsonObject object)) {
      return value;
    }
    Map<String, List<String>> byHead = new LinkedHashMap<>();
    for (String field : fields) {
      int dot = field.indexOf('.');
      String head = dot < 0 ? field : field.substring(0, dot);
      if (dot < 0) {
        // The whole field is wanted: a deeper selection of it changes nothing.
        byHead.put(head, null);
      } else if (!byHead.containsKey(head) || byHead.get(head) != null) {
        byHead.computeIfAbsent(head, h -> new ArrayList<>()).add(field.substring(dot + 1));
      }
    }
    JsonObject reduced = new JsonObject();
    byHead.forEach((head, rest) -> {
      if (object.containsKey(head)) {
        reduced.put(head, rest == null ? object.getValue(head) : select(object.getValue(head), rest));
      }
    });
    return reduced;
  }

  /** A request body a bus route cannot send. */
  private static final class BadBody extends RuntimeException {
    final int status;

    BadBody(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  /** A part that did not answer usefully, with the status its entry in {@code errors} shows. */
  private static final class PartFailure extends RuntimeException {
    final String status;

    PartFailure(String status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }
}
