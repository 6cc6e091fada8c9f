package dev.switchboard.gateway;

import dev.switchboard.shared.web.JsonErrors;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;

/**
 * Forwards one HTTP request to a node of its route's service and streams the answer back, both
 * ways with backpressure. A request is tried on another node when its connection fails (its body
 * has not been read yet), and, when it is idempotent and has no body, also when the node fails or
 * answers 502/503/504 — up to the route's {@code retries}. One per gateway instance: its client
 * pools connections on the instance's event loop.
 *
 * <p>Written on the core HTTP client rather than vertx-http-proxy: in 5.0.8 the proxy pipes a
 * request's body once, so it cannot send the request again to another node after a failure, and it
 * answers failures with an empty 502.
 */
final class HttpForwarder {

  private static final Logger log = LoggerFactory.getLogger(HttpForwarder.class);

  /** Headers of one connection, not of the message (RFC 9110 7.6.1), never forwarded; any case. */
  private static final String[] HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection",
    "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host",
    "http2-settings"};
  /**
   * An answer whose declared length is at most this is read whole, then written with its head in
   * one go (one encoding pass, one write to the client); a longer or undeclared one streams with
   * backpressure. Bounded by the declared length: HTTP/1.1 framing ends the body there.
   */
  static final long SMALL_ANSWER_BYTES = 64 * 1024;
  /** What {@link #contentLength} gives for a message without Content-Length, and for one that is not a number. */
  static final long NO_LENGTH = -1;
  static final long BAD_LENGTH = -2;
  private static final Set<HttpMethod> IDEMPOTENT = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS,
    HttpMethod.PUT, HttpMethod.DELETE);
  private static final Set<Integer> RETRY_STATUSES = Set.of(502, 503, 504);
  static final CharSequence REQUEST_ID = HttpHeaders.createOptimized("X-Request-Id");
  private static final CharSequence FORWARDED_FOR = HttpHeaders.createOptimized("X-Forwarded-For");
  private static final CharSequence FORWARDED_PROTO = HttpHeaders.createOptimized("X-Forwarded-Proto");
  private static final CharSequence FORWARDED_HOST = HttpHeaders.createOptimized("X-Forwarded-Host");
  private static final CharSequence HTTP = HttpHeaders.createOptimized("http");
  private static final CharSequence HTTPS = HttpHeaders.createOptimized("https");
  /**
   * How long a request may wait for a connection to its node, from the pool or a new one; a node
   * whose link died silently holds its pooled connections, and waiting longer only delays the retry.
   */
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

  private final HttpClient client;
  private final Backends backends;
  private final RouteMeters meters;

  HttpForwarder(HttpClient client, Backends backends, RouteMeters meters) {
    this.client = client;
    this.backends = backends;
    this.meters = meters;
  }

  void forward(HttpServerRequest request, Route route, String requestId, long maxBody) {
    boolean body = hasBody(request);
    if (body) {
      // Kept unread until a node's connection is ready, so that a failed connection can go elsewhere.
      // A request without a body is not paused: a paused request never ends, and its keep-alive
      // connection would hold the client's next request back.
      request.pause();
    }
    boolean replayable = !body && IDEMPOTENT.contains(request.method());
    attempt(new Exchange(request, route, requestId, body, replayable, maxBody));
  }

  /** One client request on its way through the gateway, over one or more attempts. */
  private static final class Exchange {
    final HttpServerRequest request;
    final Route route;
    final String requestId;
    final boolean body;
    final boolean replayable;
    /** The largest body passed on; a body without Content-Length is counted as it streams. */
    final long maxBody;
    final long arrived = System.nanoTime();
    final Set<String> tried = new HashSet<>();
    boolean tooLarge;
    int retriesLeft;
    Throwable lastFailure;
    int lastStatus;

    Exchange(HttpServerRequest request, Route route, String requestId, boolean body, boolean replayable, long maxBody) {
      this.maxBody = maxBody;
      this.request = request;
      this.route = route;
      this.requestId = requestId;
      this.body = body;
      this.replayable = replayable;
      this.retriesLeft = route.retries();
    }
  }

  private void attempt(Exchange x) {
    var candidates = backends.available(x.route.service(), x.tried);
    if (candidates.isEmpty()) {
      giveUp(x);
      return;
    }
    Backend node = backends.balancer(x.route).pick(candidates, x.request);
    x.tried.add(node.id());
    Promise<Void> outcome = node.admit();
    if (outcome == null) {
      attempt(x); // its circuit is half-open with a trial request out: another node, no retry spent
      return;
    }
    node.started();
    RequestOptions options = new RequestOptions()
      .setMethod(x.request.method())
      .setServer(node.address())
      .setHost(node.address().host())
      .setPort(node.address().port())
      .setURI(x.request.uri())
      .setConnectTimeout(CONNECT_TIMEOUT.toMillis())
      .setIdleTimeout(x.route.timeout().toMillis());
    client.request(options).onComplete(created -> {
      if (created.failed()) {
        // Nothing of the request was read yet: any request may go to another node.
        failed(x, node, outcome, created.cause(), true);
        return;
      }
      HttpClientRequest upstream = created.result();
      upstreamHeaders(x.request, x.requestId, upstream.headers());
      if (x.body && !upstream.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
        upstream.setChunked(true);
      }
      (x.body ? upstream.send(body(x)) : upstream.send()).onComplete(answered -> {
        if (x.tooLarge) {
          tooLarge(x, node, outcome, upstream, answered.result());
          return;
        }
        if (answered.failed()) {
          failed(x, node, outcome, answered.cause(), x.replayable);
          return;
        }
        HttpClientResponse response = answered.result();
        if (x.replayable && x.retriesLeft > 0 && RETRY_STATUSES.contains(response.statusCode())) {
          x.lastStatus = response.statusCode();
          response.body().onComplete(ignored -> failed(x, node, outcome, null, true));
          return;
        }
        if (response.statusCode() >= 500) {
          outcome.tryFail("answered " + response.statusCode());
        } else {
          outcome.tryComplete();
        }
        respond(x, node, upstream, response);
      });
    });
  }

  private void respond(Exchange x, Backend node, HttpClientRequest upstream, HttpClientResponse response) {
    HttpServerResponse out = x.request.response();
    if (out.closed()) {
      abandon(upstream, response);
      node.finished();
      return;
    }
    out.setStatusCode(response.statusCode()).setStatusMessage(response.statusMessage());
    copy(response.headers(), out.headers());
    out.putHeader(REQUEST_ID, x.requestId);
    if (!out.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
      out.setChunked(true);
    }
    RouteMeters.Pair figures = meters.of(x.route, node);
    figures.answered(response.statusCode());
    relay(x.request, response, out).onComplete(piped -> {
      node.finished();
      figures.finished(piped.failed() || response.statusCode() >= 500, System.nanoTime() - x.arrived);
      if (piped.failed()) {
        // The client left, or the node broke off mid-answer: nothing to retry, free both sides.
        upstream.reset();
        out.reset();
        log.debug("[{}] {} {} via {} broke off: {}", x.requestId, x.request.method(), x.request.uri(), node.label(), piped.cause().toString());
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
      out.end().onComplete(ended -> {
        if (ended.succeeded()) {
          done.tryComplete();
        } else {
          done.tryFail(ended.cause());
        }
      });
    });
    return done.future();
  }

  /** True when the answer declares a body of at most {@link #SMALL_ANSWER_BYTES}. */
  private static boolean isSmall(HttpClientResponse response) {
    long declared = contentLength(response.headers());
    return declared >= 0 && declared <= SMALL_ANSWER_BYTES;
  }

  /** The body length {@code headers} declare: {@link #NO_LENGTH} without one, {@link #BAD_LENGTH} if it is not a number. */
  static long contentLength(MultiMap headers) {
    String length = headers.get(HttpHeaders.CONTENT_LENGTH);
    if (length == null) {
      return NO_LENGTH;
    }
    try {
      long declared = Long.parseLong(length.trim());
      return declared >= 0 ? declared : BAD_LENGTH;
    } catch (NumberFormatException e) {
      return BAD_LENGTH;
    }
  }

  /** The request body; one without a declared length stops the upload when it passes the route's limit. */
  private static ReadStream<Buffer> body(Exchange x) {
    if (x.request.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
      return x.request; // its length was checked against the limit before it got here
    }
    return new BoundedBody(x.request, x.maxBody, () -> x.tooLarge = true);
  }

  private void tooLarge(Exchange x, Backend node, Promise<Void> outcome, HttpClientRequest upstream, HttpClientResponse response) {
    node.finished();
    outcome.tryComplete(); // the client's fault, not the node's
    abandon(upstream, response);
    HttpServerResponse out = x.request.response();
    if (out.headWritten()) {
      out.reset();
      return;
    }
    out.putHeader(REQUEST_ID, x.requestId).putHeader(HttpHeaders.CONNECTION, "close");
    JsonErrors.send(out, 413, new JsonObject().put("error", "request body too large").put("limit", x.maxBody)
      .put("requestId", x.requestId)).onComplete(sent -> x.request.connection().close());
  }

  /**
   * Resets a request to a node whose answer nobody will read. The answer then fails with a reset,
   * which is expected here: without a handler, Vert.x would log it as an error.
   */
  private static void abandon(HttpClientRequest upstream, HttpClientResponse response) {
    if (response != null) {
      response.exceptionHandler(e -> log.trace("abandoned answer: {}", e.toString()));
    }
    upstream.reset();
  }

  private void failed(Exchange x, Backend node, Promise<Void> outcome, Throwable cause, boolean retryable) {
    node.finished();
    if (cause != null) {
      x.lastFailure = cause;
    }
    outcome.tryFail(cause != null ? cause : new IllegalStateException("answered " + x.lastStatus));
    if (cause instanceof ConnectException) {
      log.warn("[{}] {} refused the connection: {}", x.requestId, node.label(), cause.getMessage());
      node.refused();
    }
    meters.of(x.route, node).answered(cause instanceof TimeoutException ? 504 : 502);
    if (retryable && x.retriesLeft > 0 && !x.request.response().closed()) {
      x.retriesLeft--;
      log.debug("[{}] {} {} failed on {} ({}), trying another node", x.requestId, x.request.method(), x.request.uri(),
        node.label(), cause == null ? "status " + x.lastStatus : cause.toString());
      attempt(x);
      return;
    }
    giveUp(x);
  }

  private void giveUp(Exchange x) {
    meters.of(x.route, null).finished(true, System.nanoTime() - x.arrived);
    HttpServerResponse out = x.request.response();
    x.request.resume();
    if (out.closed() || out.headWritten()) {
      return;
    }
    out.putHeader(REQUEST_ID, x.requestId);
    if (x.tried.isEmpty()) {
      int retryAfter = (int) Math.max(1, backends.options().healthInterval().toSeconds());
      out.putHeader(HttpHeaders.RETRY_AFTER, String.valueOf(retryAfter));
      JsonErrors.send(out, 503, error(x, "no " + x.route.service() + " node is available"));
    } else if (x.lastFailure instanceof TimeoutException) {
      JsonErrors.send(out, 504, error(x, x.route.service() + " did not answer within " + x.route.timeout().toMillis() + " ms"));
    } else if (x.lastFailure == null && x.lastStatus != 0) {
      JsonErrors.send(out, x.lastStatus, error(x, x.route.service() + " answered " + x.lastStatus + " on every node tried"));
    } else {
      JsonErrors.send(out, 502, error(x, x.route.service() + " failed: "
        + (x.lastFailure == null ? "no answer" : x.lastFailure.getClass().getSimpleName())));
    }
  }

  private static JsonObject error(Exchange x, String message) {
    return new JsonObject().put("error", message).put("requestId", x.requestId).put("attempts", x.tried.size());
  }

  /** The client's end-to-end headers, the request id and X-Forwarded-*, written into the request to the node. */
  private static void upstreamHeaders(HttpServerRequest in, String requestId, MultiMap headers) {
    copy(in.headers(), headers);
    headers.set(REQUEST_ID, requestId);
    // From the connection and the Host header as received: the request's own remoteAddress() and
    // authority() go through vertx-web's forwarded-header view, which builds an absolute URI first.
    HttpConnection connection = in.connection();
    SocketAddress peer = connection.remoteAddress();
    if (peer != null && peer.hostAddress() != null) {
      String prior = in.getHeader(FORWARDED_FOR);
      headers.set(FORWARDED_FOR, prior == null ? peer.hostAddress() : prior + ", " + peer.hostAddress());
    }
    headers.set(FORWARDED_PROTO, connection.isSsl() ? HTTPS : HTTP);
    String host = in.getHeader(HttpHeaders.HOST);
    if (host != null) {
      headers.set(FORWARDED_HOST, host);
    }
  }

  /** Copies end-to-end headers, leaving out hop-by-hop ones and those the Connection header names. */
  private static void copy(MultiMap from, MultiMap to) {
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
      if (!isHopByHop(name) && !named.contains(name)) {
        to.add(name, header.getValue());
      }
    }
  }

  /** Run for every header both ways: a length compare turns almost every name away at once. */
  private static boolean isHopByHop(String name) {
    for (String hop : HOP_BY_HOP) {
      if (hop.length() == name.length() && hop.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  private static boolean hasBody(HttpServerRequest request) {
    long declared = contentLength(request.headers());
    return declared == NO_LENGTH ? request.headers().contains(HttpHeaders.TRANSFER_ENCODING) : declared != 0;
  }
}
