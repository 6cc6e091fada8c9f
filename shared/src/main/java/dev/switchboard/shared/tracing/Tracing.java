package dev.switchboard.shared.tracing;

import dev.switchboard.shared.ops.Operations;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.zipkin.ZipkinSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VertxBuilder;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.spi.VertxTracerFactory;
import io.vertx.core.spi.tracing.SpanKind;
import io.vertx.core.spi.tracing.TagExtractor;
import io.vertx.core.spi.tracing.VertxTracer;
import io.vertx.core.tracing.TracingPolicy;
import io.vertx.tracing.opentelemetry.OpenTelemetryTracingFactory;
import io.vertx.tracing.opentelemetry.VertxContextStorageProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Supplier;

/**
 * Gives a Vert.x instance its tracer: OpenTelemetry's SDK behind Vert.x's own tracing, spans
 * batched to Zipkin (or an OTLP receiver) under the service's name, W3C trace context on the wire. With tracing off the
 * builder is left as it is, so no tracer exists and Vert.x skips every tracing call.
 */
public final class Tracing {

  private static final Logger log = LoggerFactory.getLogger(Tracing.class);
  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  /** The path of a request, as Vert.x's HTTP server tags its span. */
  private static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
  /** Probes and scrapes, asked every few seconds by balancers, the gateway and Prometheus: not worth a trace each. */
  private static final Set<String> OPERATIONS = Set.of(Operations.HEALTH, Operations.READY, Operations.METRICS);
  /** The name Switchboard's own spans are made under, beside Vert.x's {@code io.vertx}. */
  private static final String INSTRUMENTATION = "dev.switchboard";
  /** How long finished spans wait to be sent with others: short, so a trace is readable soon after a request. */
  static final Duration EXPORT_DELAY = Duration.ofSeconds(1);
  /** How long closing Vert.x waits for the last spans to reach Zipkin. */
  static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(5);

  private Tracing() {
  }

  /** {@code builder} with a tracer for {@code service} when {@code options} turn tracing on; unchanged otherwise. */
  public static VertxBuilder install(VertxBuilder builder, TracingOptions options, String service) {
    return options.enabled() ? builder.withTracer(factory(options, service)) : builder;
  }

  /**
   * A tracer factory exporting as {@code options} say, spans named for {@code service}; the SDK is
   * made when Vert.x asks for the tracer, and flushed and shut down when that Vert.x closes.
   */
  public static VertxTracerFactory factory(TracingOptions options, String service) {
    if (!options.enabled()) {
      throw new IllegalArgumentException("tracing is off: no endpoint");
    }
    Objects.requireNonNull(service);
    return new VertxTracerFactory() {
      @Override
      public VertxTracer<?, ?> tracer(io.vertx.core.tracing.TracingOptions tracingOptions) {
        OpenTelemetrySdk sdk = sdk(options, service);
        log.info("{} sends spans to {} ({}, sample ratio {})", service, options.endpoint(), options.protocol(), options.sampleRatio());
        return new Flushing<>(new OpenTelemetryTracingFactory(sdk).tracer(tracingOptions), sdk);
      }
    };
  }

  private static OpenTelemetrySdk sdk(TracingOptions options, String service) {
    SpanExporter exporter = switch (options.protocol()) {
      case ZIPKIN -> ZipkinSpanExporter.builder().setEndpoint(options.endpoint()).build();
      case OTLP -> OtlpHttpSpanExporter.builder().setEndpoint(options.endpoint()).build();
    };
    SdkTracerProvider provider = SdkTracerProvider.builder()
      .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(SERVICE_NAME, service))))
      // A caller's decision holds: a trace the gateway records is recorded by every node on its way.
      .setSampler(Sampler.parentBased(new NoProbes(Sampler.traceIdRatioBased(options.sampleRatio()))))
      .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(EXPORT_DELAY).build())
      .build();
    // Not registered as the global instance: several Vert.x instances of one JVM (tests) each have their own.
    return OpenTelemetrySdk.builder()
      .setTracerProvider(provider)
      .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
      .build();
  }

  /**
   * Runs {@code work} inside a span of its own, named {@code name}, the child of the span the
   * current Vert.x context carries, and ends it when the work's future completes (an error if it
   * fails); what the work sends on the bus or over HTTP is that span's child. Outside a trace, off
   * a Vert.x context, or with tracing off, runs {@code work} as it is.
   */
  public static <T> Future<T> span(String name, Map<String, String> attributes, Supplier<Future<T>> work) {
    ContextInternal current = ContextInternal.current();
    if (current == null || !(current.tracer() instanceof Flushing<?, ?> traced)) {
      return work.get();
    }
    // The trace the current context is in, as Vert.x's tracer keeps it.
    io.opentelemetry.context.Context parent = VertxContextStorageProvider.VertxContextStorage.INSTANCE.current();
    if (parent == null || !Span.fromContext(parent).getSpanContext().isValid()) {
      return work.get();
    }
    SpanBuilder builder = traced.spans.spanBuilder(name).setParent(parent).setSpanKind(io.opentelemetry.api.trace.SpanKind.INTERNAL);
    attributes.forEach(builder::setAttribute);
    Span span = builder.startSpan();
    // A context of the work's own, with the request's other locals (its log scope) copied.
    ContextInternal child = current.duplicate(true);
    VertxContextStorageProvider.VertxContextStorage.INSTANCE.attach(child, parent.with(span));
    List<Future<T>> started = new ArrayList<>(1);
    child.dispatch(() -> {
      try {
        started.add(work.get());
      } catch (RuntimeException e) {
        started.add(Future.failedFuture(e));
      }
    });
    return started.get(0).onComplete(done -> {
      if (done.failed()) {
        span.setStatus(StatusCode.ERROR, String.valueOf(done.cause().getMessage()));
      }
      span.end();
    });
  }

  /** Starts no trace for a request to an operations endpoint; samples other new traces as {@code next} does. */
  private static final class NoProbes implements Sampler {

    private final Sampler next;

    NoProbes(Sampler next) {
      this.next = next;
    }

    @Override
    public SamplingResult shouldSample(io.opentelemetry.context.Context parentContext, String traceId, String name,
                                       io.opentelemetry.api.trace.SpanKind spanKind, Attributes attributes, List<LinkData> parentLinks) {
      if (spanKind == io.opentelemetry.api.trace.SpanKind.SERVER && OPERATIONS.contains(attributes.get(URL_PATH))) {
        return SamplingResult.drop();
      }
      return next.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
    }

    @Override
    public String getDescription() {
      return "NoProbes{" + next.getDescription() + "}";
    }
  }

  /** Vert.x's OpenTelemetry tracer, which also sends its last spans and stops the SDK when Vert.x closes. */
  private static final class Flushing<I, O> implements VertxTracer<I, O> {

    private final VertxTracer<I, O> tracer;
    private final OpenTelemetrySdk sdk;
    /** Where {@link #span} makes the spans of Switchboard's own work. */
    private final Tracer spans;

    Flushing(VertxTracer<I, O> tracer, OpenTelemetrySdk sdk) {
      this.tracer = tracer;
      this.sdk = sdk;
      this.spans = sdk.getTracer(INSTRUMENTATION);
    }

    @Override
    public <R> I receiveRequest(Context context, SpanKind kind, TracingPolicy policy, R request, String operation,
                                Iterable<Map.Entry<String, String>> headers, TagExtractor<R> tagExtractor) {
      return tracer.receiveRequest(context, kind, policy, request, operation, headers, tagExtractor);
    }

    @Override
    public <R> void sendResponse(Context context, R response, I payload, Throwable failure, TagExtractor<R> tagExtractor) {
      tracer.sendResponse(context, response, payload, failure, tagExtractor);
    }

    @Override
    public <R> O sendRequest(Context context, SpanKind kind, TracingPolicy policy, R request, String operation,
                             BiConsumer<String, String> headers, TagExtractor<R> tagExtractor) {
      return tracer.sendRequest(context, kind, policy, request, operation, headers, tagExtractor);
    }

    @Override
    public <R> void receiveResponse(Context context, R response, O payload, Throwable failure, TagExtractor<R> tagExtractor) {
      tracer.receiveResponse(context, response, payload, failure, tagExtractor);
    }

    @Override
    public void close() {
      tracer.close();
      // Vert.x calls this once its event loops are gone, off them: waiting here blocks no one.
      if (!sdk.shutdown().join(FLUSH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).isSuccess()) {
        log.warn("the last spans did not reach the tracing endpoint within {}", FLUSH_TIMEOUT);
      }
    }
  }
}
