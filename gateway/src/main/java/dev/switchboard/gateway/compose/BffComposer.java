package dev.switchboard.gateway.compose;

import dev.switchboard.gateway.config.BffEndpoint;
import dev.switchboard.gateway.config.Policy;
import dev.switchboard.gateway.edge.Requests;
import dev.switchboard.gateway.upstream.Backend;
import dev.switchboard.gateway.upstream.Backends;
import dev.switchboard.gateway.upstream.Call;
import dev.switchboard.gateway.upstream.Exchange;
import dev.switchboard.gateway.upstream.NoAnswer;
import dev.switchboard.gateway.upstream.Target;
import dev.switchboard.gateway.upstream.Unsent;
import dev.switchboard.gateway.upstream.Upstream;
import dev.switchboard.shared.tracing.Tracing;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * The BFF endpoints of each front-end: several bus requests and HTTP calls in parallel, each with
 * its own time-out, composed into one answer that says which parts are missing. An HTTP part goes
 * through the {@link Upstream} like any proxied request: balanced, through its node's circuit,
 * counted in its own route's meters ({@code PATH#PART}), tried again on another node while its
 * time-out allows.
 */
public final class BffComposer {

  /** Largest answer of an HTTP part; a part is one piece of a screen, not a download. */
  private static final int MAX_PART_BODY = 1024 * 1024;
  /** Further nodes an HTTP part may try; its time-out bounds them all. */
  private static final int PART_RETRIES = 1;
  private static final Set<Integer> RETRY_STATUSES = Set.of(502, 503, 504);
  /** A part's span is named {@code bff NAME}: each part of a screen one span, its calls beneath it. */
  private static final String SPAN_PREFIX = "bff ";

  private final Vertx vertx;
  private final HttpClient client;
  private final Upstream upstream;
  private final Map<String, Target> targets;

  /**
   * @param targets what {@link #targets} made for the endpoints, once per process
   */
  public BffComposer(Vertx vertx, HttpClient client, Upstream upstream, Map<String, Target> targets) {
    this.vertx = vertx;
    this.client = client;
    this.upstream = upstream;
    this.targets = targets;
  }

  /** The targets of the HTTP parts of {@code endpoints}, by {@code PATH#PART}: made once per process. */
  public static Map<String, Target> targets(Upstream upstream, List<BffEndpoint> endpoints) {
    Map<String, Target> targets = new HashMap<>();
    for (BffEndpoint endpoint : endpoints) {
      for (BffEndpoint.Part part : endpoint.parts()) {
        if (part.kind() == BffEndpoint.Kind.GET) {
          String name = name(endpoint, part);
          targets.put(name, upstream.target(name, part.target(), Backends.HTTP, Policy.ROUND_ROBIN, null, PART_RETRIES));
        }
      }
    }
    return Map.copyOf(targets);
  }

  private static String name(BffEndpoint endpoint, BffEndpoint.Part part) {
    return endpoint.path() + "#" + part.name();
  }

  /** Mounts {@code endpoints} on {@code router} ({@code GET}). */
  public void mount(Router router, List<BffEndpoint> endpoints) {
    for (BffEndpoint endpoint : endpoints) {
      router.get(endpoint.path()).handler(ctx -> aggregate(ctx, endpoint));
    }
  }

  private void aggregate(RoutingContext ctx, BffEndpoint endpoint) {
    JsonObject message = BusEndpoints.query(ctx.request().params());
    String requestId = Requests.id(ctx);
    List<Future<Object>> answers = new ArrayList<>();
    long started = System.nanoTime();
    for (BffEndpoint.Part part : endpoint.parts()) {
      answers.add(Tracing.span(SPAN_PREFIX + part.name(), spanAttributes(endpoint, part),
        () -> ask(endpoint, part, message, requestId)).map(value -> select(value, part.fields())));
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

  /** What a part's span says of it: whose screen, which part, asked of what. */
  private static Map<String, String> spanAttributes(BffEndpoint endpoint, BffEndpoint.Part part) {
    return Map.of("bff.endpoint", endpoint.path(), "bff.part", part.name(),
      "bff.kind", part.kind().name().toLowerCase(Locale.ROOT), "bff.target", part.target());
  }

  private Future<Object> ask(BffEndpoint endpoint, BffEndpoint.Part part, JsonObject message, String requestId) {
    long timeout = part.timeout().toMillis();
    if (part.kind() == BffEndpoint.Kind.BUS) {
      return vertx.eventBus().request(part.target(), message.copy(), new DeliveryOptions().setSendTimeout(timeout))
        .map(reply -> reply.body());
    }
    Promise<Object> answer = Promise.promise();
    // The time-out covers the whole part: connecting, the answer's head and its body, on every node tried.
    long timer = vertx.setTimer(timeout, t -> answer.tryFail(new TimeoutException()));
    PartCall x = new PartCall(part, requestId, answer);
    upstream.call(targets.get(name(endpoint, part)), x)
      .compose(call -> read(part, call))
      .onComplete(done -> {
        vertx.cancelTimer(timer);
        if (done.succeeded()) {
          answer.tryComplete(done.result());
        } else {
          answer.tryFail(done.cause());
        }
      });
    return answer.future();
  }

  /** One HTTP part's {@code GET} to a node. */
  private final class PartCall implements Exchange<HttpClientResponse> {

    final BffEndpoint.Part part;
    final String requestId;
    final Promise<Object> answer;

    PartCall(BffEndpoint.Part part, String requestId, Promise<Object> answer) {
      this.part = part;
      this.requestId = requestId;
      this.answer = answer;
    }

    @Override
    public Future<HttpClientResponse> send(Backend node) {
      return client.request(new RequestOptions()
          .setMethod(HttpMethod.GET)
          .setServer(node.address())
          .setHost(node.address().host())
          .setPort(node.address().port())
          .setURI(part.path())
          .setTimeout(part.timeout().toMillis())
          .setTraceOperation("GET " + part.target() + part.path())
          .putHeader(Requests.REQUEST_ID, requestId)
          .putHeader(HttpHeaders.ACCEPT, "application/json"))
        .transform(created -> created.failed()
          ? Future.failedFuture(new Unsent(created.cause()))
          : created.result().send());
    }

    @Override
    public boolean replayable() {
      return true;
    }

    @Override
    public boolean abandoned() {
      return answer.future().isComplete(); // timed out: the screen is composed without it
    }

    @Override
    public int status(HttpClientResponse response) {
      return response.statusCode();
    }

    @Override
    public boolean retryable(HttpClientResponse response) {
      return RETRY_STATUSES.contains(response.statusCode());
    }

    @Override
    public void discard(HttpClientResponse response) {
      response.request().reset();
    }
  }

  /** The part's JSON, at most {@link #MAX_PART_BODY}; the call is finished either way. */
  private static Future<Object> read(BffEndpoint.Part part, Call<HttpClientResponse> call) {
    HttpClientResponse response = call.answer();
    Future<Object> value;
    if (response.statusCode() != 200) {
      response.request().reset();
      value = Future.failedFuture(new PartFailure("failed", part.target() + " answered " + response.statusCode()));
    } else if (Requests.contentLength(response.headers()) > MAX_PART_BODY) {
      response.request().reset();
      value = Future.failedFuture(new PartFailure("failed", part.target() + " answered more than " + MAX_PART_BODY + " bytes"));
    } else {
      value = response.body().map(body -> {
        if (body.length() > MAX_PART_BODY) {
          throw new PartFailure("failed", part.target() + " answered more than " + MAX_PART_BODY + " bytes");
        }
        try {
          return Json.decodeValue(body);
        } catch (DecodeException e) {
          throw new PartFailure("failed", part.target() + " did not answer JSON");
        }
      });
    }
    return value.onComplete(done -> call.finished(done.failed()));
  }

  private static JsonObject partError(BffEndpoint.Part part, Throwable cause) {
    JsonObject error = new JsonObject();
    if (cause instanceof PartFailure failure) {
      return error.put("status", failure.status).put("error", failure.getMessage());
    }
    if (cause instanceof NoAnswer none && none.attempts() == 0) {
      return error.put("status", "unavailable").put("error", none.getMessage());
    }
    if (cause instanceof TimeoutException || cause instanceof NoAnswer none && none.getCause() instanceof TimeoutException
      || cause instanceof ReplyException reply && reply.failureType() == ReplyFailure.TIMEOUT) {
      return error.put("status", "timeout").put("error", "no answer within " + part.timeout().toMillis() + " ms");
    }
    if (cause instanceof NoAnswer none) {
      return error.put("status", "failed").put("error", none.getMessage());
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

  /** A part that did not answer usefully, with the status its entry in {@code errors} shows. */
  private static final class PartFailure extends RuntimeException {
    final String status;

    PartFailure(String status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }
}
