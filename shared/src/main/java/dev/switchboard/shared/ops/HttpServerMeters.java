package dev.switchboard.shared.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;
import io.vertx.micrometer.MetricsNaming;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * An HTTP server's request metrics, under the names and labels vertx-micrometer gives them
 * ({@code vertx_http_server_requests_total{code,method}}, response time and bytes, request bytes,
 * active requests, resets), with every meter looked up once: per method when first used, then per
 * status code. vertx-micrometer 5.0.8 builds each request's meter ids from tags and looks them up
 * in the registry four times per request, which a profile of the http service under load put at a
 * fifth of its CPU. Connections, bytes and WebSockets are still counted by vertx-micrometer's own
 * server metrics ({@code vertx}), to which those calls go.
 */
final class HttpServerMeters implements HttpServerMetrics<HttpServerMeters.Request, Object, Object> {

  /** Status codes with a meter slot of their own; any other one shares {@link #OTHER_STATUS}. */
  private static final int MAX_STATUS = 599;
  private static final int OTHER_STATUS = 0;

  private final HttpServerMetrics<Object, Object, Object> vertx;
  private final Map<String, MethodMeters> methods;

  /** {@code methods}: see {@link #methods}, one set for every server of a Vert.x instance. */
  @SuppressWarnings("unchecked")
  HttpServerMeters(HttpServerMetrics<?, ?, ?> vertx, Map<String, MethodMeters> methods) {
    this.vertx = (HttpServerMetrics<Object, Object, Object>) vertx;
    this.methods = methods;
  }

  /**
   * The meters of every method label (the known methods, and {@code other} for the rest), for all
   * the HTTP servers of one Vert.x instance: they count into the same series, as one gauge of
   * active requests per method can be registered only once.
   */
  static Map<String, MethodMeters> methods(MeterRegistry registry, MetricsNaming names) {
    Map<String, MethodMeters> byName = new HashMap<>();
    for (String method : Metrics.KNOWN_METHODS) {
      byName.put(method, new MethodMeters(registry, names, method));
    }
    byName.put(Metrics.OTHER_METHOD, new MethodMeters(registry, names, Metrics.OTHER_METHOD));
    return Map.copyOf(byName);
  }

  private MethodMeters meters(HttpMethod method) {
    MethodMeters meters = methods.get(method.name());
    return meters != null ? meters : methods.get(Metrics.OTHER_METHOD);
  }

  @Override
  public Request requestBegin(Object socketMetric, HttpRequest request) {
    return new Request(meters(request.method()));
  }

  @Override
  public void requestEnd(Request request, HttpRequest httpRequest, long bytesRead) {
    request.method.requestBytes.record(bytesRead);
    request.requestEnded();
  }

  @Override
  public void requestReset(Request request) {
    request.method.resets.increment();
    request.reset();
  }

  @Override
  public Request responsePushed(Object socketMetric, HttpMethod method, String uri, HttpResponse response) {
    return new Request(meters(method));
  }

  @Override
  public void responseEnd(Request request, HttpResponse response, long bytesWritten) {
    ResponseMeters meters = request.method.response(response.statusCode());
    meters.requests.increment();
    meters.time.record(System.nanoTime() - request.start, TimeUnit.NANOSECONDS);
    meters.bytes.record(bytesWritten);
    request.responseEnded();
  }

  @Override
  public Object connected(Object socketMetric, Request request, ServerWebSocket webSocket) {
    // vertx-micrometer's server metrics count WebSockets by their connection's tags; the request is not read.
    return vertx.connected(socketMetric, null, webSocket);
  }

  @Override
  public void disconnected(Object webSocketMetric) {
    vertx.disconnected(webSocketMetric);
  }

  @Override
  public Object connected(SocketAddress remoteAddress, String remoteName) {
    return vertx.connected(remoteAddress, remoteName);
  }

  @Override
  public void disconnected(Object socketMetric, SocketAddress remoteAddress) {
    vertx.disconnected(socketMetric, remoteAddress);
  }

  @Override
  public void bytesRead(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
    vertx.bytesRead(socketMetric, remoteAddress, numberOfBytes);
  }

  @Override
  public void bytesWritten(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
    vertx.bytesWritten(socketMetric, remoteAddress, numberOfBytes);
  }

  @Override
  public void exceptionOccurred(Object socketMetric, SocketAddress remoteAddress, Throwable t) {
    vertx.exceptionOccurred(socketMetric, remoteAddress, t);
  }

  @Override
  public void close() {
    vertx.close();
  }

  /** The meters of one method label: resolved once, and those of each status code on its first response. */
  static final class MethodMeters {

    private final MeterRegistry registry;
    private final MetricsNaming names;
    private final String method;
    final LongAdder active = new LongAdder();
    final DistributionSummary requestBytes;
    final Counter resets;
    /** Filled as status codes are first seen; two event loops may both fill a slot, with the same meters. */
    private final ResponseMeters[] byStatus = new ResponseMeters[MAX_STATUS + 1];

    MethodMeters(MeterRegistry registry, MetricsNaming names, String method) {
      this.registry = registry;
      this.names = names;
      this.method = method;
      Gauge.builder(names.getHttpActiveRequests(), active, LongAdder::doubleValue)
        .description("Number of requests being processed").tag("method", method).register(registry);
      this.requestBytes = DistributionSummary.builder(names.getHttpRequestBytes())
        .description("Size of requests in bytes").tag("method", method).register(registry);
      this.resets = Counter.builder(names.getHttpRequestResetsCount())
        .description("Number of request resets").tag("method", method).register(registry);
    }

    ResponseMeters response(int status) {
      int slot = status >= 100 && status <= MAX_STATUS ? status : OTHER_STATUS;
      ResponseMeters meters = byStatus[slot];
      if (meters == null) {
        meters = new ResponseMeters(registry, names, method, slot == OTHER_STATUS ? "other" : String.valueOf(status));
        byStatus[slot] = meters;
      }
      return meters;
    }
  }

  /** The meters of one method and status code. */
  private static final class ResponseMeters {

    final Counter requests;
    final Timer time;
    final DistributionSummary bytes;

    ResponseMeters(MeterRegistry registry, MetricsNaming names, String method, String code) {
      this.requests = Counter.builder(names.getHttpRequestsCount())
        .description("Number of processed requests").tag("method", method).tag("code", code).register(registry);
      this.time = Timer.builder(names.getHttpResponseTime())
        .description("Request processing time").tag("method", method).tag("code", code).register(registry);
      this.bytes = DistributionSummary.builder(names.getHttpResponseBytes())
        .description("Size of responses in bytes").tag("method", method).tag("code", code).register(registry);
    }
  }

  /** One request: active from its start until both its request and its response ended, or it was reset. */
  static final class Request {

    final MethodMeters method;
    final long start = System.nanoTime();
    private boolean requestEnded;
    private boolean responseEnded;
    private boolean done;

    Request(MethodMeters method) {
      this.method = method;
      method.active.increment();
    }

    void requestEnded() {
      requestEnded = true;
      finishIfEnded();
    }

    void responseEnded() {
      responseEnded = true;
      finishIfEnded();
    }

    void reset() {
      if (!done) {
        done = true;
        method.active.decrement();
      }
    }

    private void finishIfEnded() {
      if (requestEnded && responseEnded) {
        reset();
      }
    }
  }
}
