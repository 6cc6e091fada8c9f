package dev.switchboard.gateway.forward;

import dev.switchboard.shared.web.LastAnswer;
import dev.switchboard.gateway.config.Route;
import dev.switchboard.gateway.edge.Requests;
import dev.switchboard.gateway.upstream.Backend;
import dev.switchboard.gateway.upstream.Call;
import dev.switchboard.gateway.upstream.ClientFault;
import dev.switchboard.gateway.upstream.Exchange;
import dev.switchboard.gateway.upstream.NoAnswer;
import dev.switchboard.gateway.upstream.Target;
import dev.switchboard.gateway.upstream.Unsent;
import dev.switchboard.gateway.upstream.Upstream;
import dev.switchboard.shared.web.JsonErrors;
import dev.switchboard.shared.web.RequestScope;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Locale;
import java.util.Set;

/**
 * Forwards one HTTP request to a node of its route's service through the {@link Upstream} and
 * streams the answer back, both ways with backpressure. A request body reaches the node whole or
 * not at all: a client that leaves, sends malformed chunks, passes the route's size limit or stalls
 * makes the gateway reset the request to the node, never end it (see {@link BodyRelay}). A request
 * with {@code Expect: 100-continue} waits for the node's {@code 100} before its body is read, and a
 * node's final answer instead (401, 413, ...) reaches the client at once. One per gateway instance:
 * its client pools connections on the instance's event loop.
 *
 * <p>Written on the core HTTP client rather than vertx-http-proxy: in 5.0.8 the proxy pipes a
 * request's body once, so it cannot send the request again to another node after a failure, and it
 * answers failures with an empty 502.
 */
public final class HttpForwarder {

  private static final Logger log = LoggerFactory.getLogger(HttpForwarder.class);

  /**
   * An answer whose declared length is at most this is read whole, then written with its head in
   * one go (one encoding pass, one write to the client); a longer or undeclared one streams with
   * backpressure. Bounded by the declared length: HTTP/1.1 framing ends the body there.
   */
  static final long SMALL_ANSWER_BYTES = 64 * 1024;
  /**
   * How long a request asking {@code Expect: 100-continue} waits for the node's {@code 100} (or its
   * final answer) before the body is sent anyway, as RFC 9110 §10.1.1 lets a client do: a node that
   * does not implement the expectation then still gets the body.
   */
  static final Duration CONTINUE_WAIT = Duration.ofSeconds(1);
  /**
   * How long a request may wait for a connection to its node, from the pool or a new one; a node
   * whose link died silently holds its pooled connections, and waiting longer only delays the retry.
   */
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
    HttpMethod.PUT, HttpMethod.DELETE);
  private static final Set<Integer> RETRY_STATUSES = Set.of(502, 503, 504);
  private static final String CONTINUE = "100-continue";

  private final Vertx vertx;
  private final HttpClient client;
  private final Upstream upstream;
  private final Duration bodyTimeout;
  /** Whether Vert.x traces this gateway's requests: then each call to a node is a span named for its route. */
  private final boolean traced;

  /**
   * @param bodyTimeout how long a request body may stall (no byte while the gateway is ready to take one)
   *                    before the request is cut with 408
   */
  public HttpForwarder(Vertx vertx, HttpClient client, Upstream upstream, Duration bodyTimeout) {
    this.vertx = vertx;
    this.client = client;
    this.upstream = upstream;
    this.bodyTimeout = bodyTimeout;
    this.traced = Headers.traced(vertx);
  }

  public void forward(HttpServerRequest request, Route route, Target target, String requestId, long maxBody) {
    Proxied x = new Proxied(request, route, requestId, maxBody);
    if (x.body) {
      // Kept unread until a node's connection is ready, so that a failed connection can go elsewhere.
      // A request without a body is not paused: a paused request never ends, and its keep-alive
      // connection would hold the client's next request back.
      request.pause();
      // A client that fails meanwhile (gone, malformed chunks) must not have its body sent later.
      request.exceptionHandler(e -> x.clientFailure = e);
    }
    upstream.call(target, x).onComplete(called -> {
      if (called.succeeded()) {
        respond(x, called.result());
      } else {
        refuse(x, called.cause());
      }
    });
  }

  /** One client request on its way to a node, over one or more attempts. */
  private final class Proxied implements Exchange<HttpClientResponse> {

    final HttpServerRequest request;
    final Route route;
    final String requestId;
    final long maxBody;
    final boolean body;
    final boolean replayable;
    /** The request's scope, for its access line: the node that answered. */
    final RequestScope scope = RequestScope.current();
    /** The request to the node of the current attempt. */
    HttpClientRequest current;
    /** Set once the body is on its way to the node. */
    BodyRelay relay;
    /** How the client's side failed before its body was relayed, if it did. */
    Throwable clientFailure;

    Proxied(HttpServerRequest request, Route route, String requestId, long maxBody) {
      this.request = request;
      this.route = route;
      this.requestId = requestId;
      this.maxBody = maxBody;
      this.body = hasBody(request);
      this.replayable = !body && IDEMPOTENT.contains(request.method());
    }

    @Override
    public Future<HttpClientResponse> send(Backend node) {
      RequestOptions options = new RequestOptions()
        .setMethod(request.method())
        .setServer(node.address())
        .setHost(node.address().host())
        .setPort(node.address().port())
        .setURI(request.uri())
        .setConnectTimeout(CONNECT_TIMEOUT.toMillis())
        .setIdleTimeout(route.timeout().toMillis());
      if (traced) {
        options.setTraceOperation(request.method().name() + " " + route.prefix() + " " + route.service());
      }
      return client.request(options).transform(created -> {
        if (created.failed()) {
          // Nothing of the request was read yet: any request may go to another node.
          return Future.failedFuture(new Unsent(created.cause()));
        }
        HttpClientRequest out = created.result();
        current = out;
        Headers.toNode(request, requestId, out.headers(), traced);
        return body ? sendWithBody(out) : out.send();
      });
    }

    private Future<HttpClientResponse> sendWithBody(HttpClientRequest out) {
      if (!out.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
        out.setChunked(true);
      }
      Promise<HttpClientResponse> answer = Promise.promise();
      out.response().onComplete(answer::tryComplete, answer::tryFail);
      relay = new BodyRelay(vertx, request, out, maxBody, bodyTimeout, answer::tryFail);
      if (clientFailure != null) {
        relay.failed(clientFailure);
        return answer.future();
      }
      if (!expectsContinue(request)) {
        relay.start();
        return answer.future();
      }
      // The node says whether it wants the body: its 100 lets the body go, a final answer goes to the
      // client at once. A node that says nothing within CONTINUE_WAIT gets the body anyway.
      long wait = vertx.setTimer(CONTINUE_WAIT.toMillis(), t -> sendBody(answer));
      out.continueHandler(v -> {
        vertx.cancelTimer(wait);
        sendBody(answer);
      });
      answer.future().onComplete(done -> vertx.cancelTimer(wait));
      out.sendHead().onFailure(answer::tryFail);
      return answer.future();
    }

    /** The client gets its 100 and the body goes to the node, unless the node has answered already. */
    private void sendBody(Promise<HttpClientResponse> answer) {
      if (answer.future().isComplete() || relay.started()) {
        return;
      }
      request.response().writeContinue();
      relay.start();
    }

    /** True while the client's body has not all gone to the node: the connection cannot take another request. */
    boolean bodyUnread() {
      return body && (relay == null || !relay.ended());
    }

    @Override
    public boolean replayable() {
      return replayable;
    }

    @Override
    public boolean abandoned() {
      return clientFailure != null || request.response().closed();
    }

    @Override
    public int status(HttpClientResponse answer) {
      return answer.statusCode();
    }

    @Override
    public boolean retryable(HttpClientResponse answer) {
      return RETRY_STATUSES.contains(answer.statusCode());
    }

    @Override
    public void discard(HttpClientResponse answer) {
      if (isSmall(answer)) {
        answer.body(); // read to the end, so that its connection serves the next request
      } else {
        abandon(answer.request(), answer);
      }
    }

    @Override
    public HttpServerRequest request() {
      return request;
    }
  }

  private void respond(Proxied x, Call<HttpClientResponse> call) {
    HttpClientResponse response = call.answer();
    HttpServerResponse out = x.request.response();
    if (out.closed()) {
      abandon(x.current, response);
      call.finished(true);
      return;
    }
    if (x.scope != null) {
      x.scope.upstream(call.node().label());
    }
    out.setStatusCode(response.statusCode()).setStatusMessage(response.statusMessage());
    Headers.toClient(response.headers(), out.headers());
    if (response.statusCode() == 426 && response.headers().contains(HttpHeaders.UPGRADE)) {
      // Hop-by-hop, but a 426 must name the protocol to upgrade to (RFC 9110 §15.5.22), and the
      // gateway can upgrade to what its node names.
      out.putHeader(HttpHeaders.UPGRADE, response.headers().get(HttpHeaders.UPGRADE));
    }
    out.putHeader(Requests.REQUEST_ID, x.requestId);
    if (x.bodyUnread() && refusesBody(response)) {
      // The node refused the body it has not had whole: the connection closes after the answer.
      LastAnswer.mark(x.request);
    }
    if (!out.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
      out.setChunked(true);
    }
    relay(x.request, response, out).onComplete(piped -> {
      call.finished(piped.failed() || response.statusCode() >= 500);
      if (piped.failed()) {
        // The client left, or the node broke off mid-answer: nothing to retry, free both sides.
        x.current.reset();
        out.reset();
        log.debug("[{}] {} {} via {} broke off: {}", x.requestId, x.request.method(), x.request.uri(), call.node().label(),
          piped.cause().toString());
      } else if (x.bodyUnread()) {
        // The node answered without the whole body (a 413, a 401 to Expect: 100-continue): the rest
        // goes nowhere, and the client's connection, holding it, cannot carry another request.
        x.relay.stop();
        x.current.reset();
        LastAnswer.close(x.request);
      }
    });
  }

  /**
   * The node's answer to the client, with backpressure: what {@code pipeTo} does, except that a
   * client that has gone stops the relay quietly (a pipe would still hand it the chunks already
   * queued, and fail on each).
   */
  private static Future<Void> relay(HttpServerRequest request, HttpClientResponse response, HttpServerResponse out) {
    if (request.method() != HttpMethod.HEAD && isSmall(response)) {
      return response.body().compose(body -> out.closed() || out.ended()
        ? Future.failedFuture(new HttpClosedException("client closed the connection"))
        : out.end(body));
    }
    Promise<Void> done = Promise.promise();
    out.closeHandler(v -> {
      if (!out.ended()) {
        done.tryFail(new HttpClosedException("client closed the connection"));
      }
    });
    out.drainHandler(v -> response.resume());
    response.exceptionHandler(done::tryFail);
    response.handler(chunk -> {
      if (out.closed() || out.ended()) {
        return;
      }
      out.write(chunk);
      if (out.writeQueueFull()) {
        response.pause();
      }
    });
    response.endHandler(v -> {
      if (out.closed() || out.ended()) {
        done.tryFail(new HttpClosedException("client closed the connection"));
        return;
      }
      out.end().onComplete(done);
    });
    return done.future();
  }

  /** No node answered, or the client broke the exchange: an answer of the gateway's own, if the client is still there. */
  private void refuse(Proxied x, Throwable failure) {
    HttpServerResponse out = x.request.response();
    if (x.current != null && failure instanceof ClientFault) {
      x.current.reset();
    }
    if (out.closed() || out.headWritten()) {
      if (!out.closed()) {
        out.reset();
      }
      return;
    }
    out.putHeader(Requests.REQUEST_ID, x.requestId);
    JsonObject body = new JsonObject();
    int status;
    if (failure instanceof ClientFault fault) {
      status = fault.status();
      body.put("error", fault.getMessage());
      if (status == 413) {
        body.put("limit", x.maxBody);
      }
    } else if (failure instanceof NoAnswer none) {
      status = none.status();
      if (status == 503) {
        int retryAfter = (int) Math.max(1, upstream.backends().options().healthInterval().toSeconds());
        out.putHeader(HttpHeaders.RETRY_AFTER, String.valueOf(retryAfter));
      }
      body.put("error", status == 504
        ? x.route.service() + " did not answer within " + x.route.timeout().toMillis() + " ms"
        : none.getMessage()).put("attempts", none.attempts());
    } else {
      status = 502;
      log.warn("[{}] {} {} failed", x.requestId, x.request.method(), x.request.uri(), failure);
      body.put("error", x.route.service() + " failed");
    }
    body.put("requestId", x.requestId);
    if (x.bodyUnread()) {
      // The body was not read: the HTTP/1.x connection cannot be used for another request.
      LastAnswer.send(x.request, status, body);
    } else {
      JsonErrors.send(out, status, body);
    }
  }

  /**
   * Resets a request to a node whose answer nobody will read. The answer then fails with a reset,
   * which is expected here: without a handler, Vert.x would log it as an error.
   */
  private static void abandon(HttpClientRequest request, HttpClientResponse response) {
    if (response != null) {
      response.exceptionHandler(e -> log.trace("abandoned answer: {}", e.toString()));
    }
    if (request != null) {
      request.reset();
    }
  }

  /** An error, or a node closing its connection: the rest of the request's body will not be read. */
  private static boolean refusesBody(HttpClientResponse response) {
    String connection = response.getHeader(HttpHeaders.CONNECTION);
    return response.statusCode() >= 400 || connection != null && connection.toLowerCase(Locale.ROOT).contains("close");
  }

  /** True when the answer declares a body of at most {@link #SMALL_ANSWER_BYTES}. */
  private static boolean isSmall(HttpClientResponse response) {
    long declared = Requests.contentLength(response.headers());
    return declared >= 0 && declared <= SMALL_ANSWER_BYTES;
  }

  private static boolean hasBody(HttpServerRequest request) {
    long declared = Requests.contentLength(request.headers());
    return declared == Requests.NO_LENGTH ? request.headers().contains(HttpHeaders.TRANSFER_ENCODING) : declared != 0;
  }

  private static boolean expectsContinue(HttpServerRequest request) {
    return request.version() != HttpVersion.HTTP_1_0 && CONTINUE.equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT));
  }
}
