package dev.switchboard.shared.tracing;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.OptionKey;
import dev.switchboard.shared.OptionsSchema;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Whether and where a process sends its spans; the {@code tracing} section of the configuration,
 * the same for every service.
 *
 * @param endpoint    where spans are sent: Zipkin's span API ({@code http://127.0.0.1:9411/api/v2/spans})
 *                    or an OTLP receiver's ({@code http://127.0.0.1:4318/v1/traces}), as
 *                    {@code protocol} says; empty: tracing off, no tracer installed at all
 * @param sampleRatio the share of new traces recorded, 0 to 1; a request that arrives with a
 *                    sampled {@code traceparent} is recorded whatever this says, so a trace stays whole
 * @param protocol    how spans are sent to {@code endpoint}
 */
public record TracingOptions(String endpoint, double sampleRatio, Protocol protocol) {

  public static final String SECTION = "tracing";
  public static final String DEFAULT_ENDPOINT = "";
  public static final double DEFAULT_SAMPLE_RATIO = 1.0;
  public static final Protocol DEFAULT_PROTOCOL = Protocol.ZIPKIN;


  /** How spans travel to the endpoint. */
  public enum Protocol {
    /** Zipkin's JSON v2 span API: Zipkin's own server, Jaeger's Zipkin port, most tracing back ends. */
    ZIPKIN,
    /** OTLP over HTTP with protobuf bodies: an OpenTelemetry Collector, Jaeger, Tempo and others. */
    OTLP
  }

  /** The keys of the section, one per component. */
  public static final OptionsSchema<TracingOptions> SCHEMA = OptionsSchema.of(SECTION, TracingOptions.class, TracingOptions::new,
    OptionKey.string("endpoint",
      "where spans go: Zipkin's span API (http://HOST:9411/api/v2/spans) or an OTLP receiver (http://HOST:4318/v1/traces); empty: tracing off"),
    OptionKey.decimal("sampleRatio", "share of new traces recorded, 0 to 1 (a sampled incoming traceparent is always followed)"),
    OptionKey.choice("protocol", Protocol.class,
      "zipkin (Zipkin's JSON v2) or otlp (OpenTelemetry's protocol over HTTP, protobuf), as the endpoint takes"));

  public TracingOptions {
    protocol = protocol == null ? DEFAULT_PROTOCOL : protocol;
    endpoint = endpoint == null ? "" : endpoint.trim();
    if (!endpoint.isEmpty()) {
      checkUrl(endpoint);
    }
    if (!(sampleRatio >= 0 && sampleRatio <= 1)) {
      throw new InvalidSettingException("sampleRatio", sampleRatio, "must be a number from 0 to 1");
    }
  }

  /** Every option at its default: tracing off. */
  public TracingOptions() {
    this(DEFAULT_ENDPOINT, DEFAULT_SAMPLE_RATIO, DEFAULT_PROTOCOL);
  }

  /** Spans sent to Zipkin's span API at {@code endpoint}. */
  public TracingOptions(String endpoint, double sampleRatio) {
    this(endpoint, sampleRatio, DEFAULT_PROTOCOL);
  }

  public static TracingOptions fromJson(JsonObject json) {
    return SCHEMA.fromJson(json);
  }

  /** Whether spans are recorded and sent at all. */
  public boolean enabled() {
    return !endpoint.isEmpty();
  }

  public JsonObject toJson() {
    return SCHEMA.toJson(this);
  }

  private static void checkUrl(String endpoint) {
    try {
      URI uri = new URI(endpoint);
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
        return;
      }
    } catch (URISyntaxException e) {
      // falls through to the error below
    }
    throw new InvalidSettingException("endpoint", endpoint, "must be an http or https URL such as http://127.0.0.1:9411/api/v2/spans (zipkin) or http://127.0.0.1:4318/v1/traces (otlp), or empty");
  }
}
