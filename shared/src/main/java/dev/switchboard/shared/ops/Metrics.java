package dev.switchboard.shared.ops;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MatchType;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

import java.util.Set;

/**
 * The metrics every Switchboard process collects: Vert.x's own (HTTP, TCP, event bus, pools) and
 * the JVM's, in a Prometheus registry scraped at {@code /metrics}.
 */
public final class Metrics {

  /** The HTTP methods that keep their name in a metric's {@code method} label (RFC 9110's, and PATCH). */
  public static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS",
    "TRACE", "PATCH");
  /** What any other method token counts as. */
  public static final String OTHER_METHOD = "other";

  private Metrics() {
  }

  public static MicrometerMetricsOptions options() {
    return options(Set.of());
  }

  /** Every metric except the Vert.x domains in {@code quiet}. */
  public static MicrometerMetricsOptions options(Set<MetricsDomain> quiet) {
    return new MicrometerMetricsOptions(json(quiet));
  }

  /**
   * The same as JSON, as the launcher hands Vert.x its options. Built here rather than by
   * {@code options.toJson()}: vertx-micrometer 5.0.8 leaves the label matches out of its JSON
   * (while reading them back from it), and the method bound would be lost on the way.
   */
  public static JsonObject json(Set<MetricsDomain> quiet) {
    MicrometerMetricsOptions options = new MicrometerMetricsOptions()
      .setEnabled(true)
      .setJvmMetricsEnabled(true)
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
    quiet.forEach(options::addDisabledMetricsCategory);
    // Vert.x labels HTTP requests with whatever method token arrives, and each new token would be
    // a series kept for the life of the process: any but the known ones is counted as "other".
    JsonObject otherMethods = new JsonObject()
      .put("label", Label.HTTP_METHOD.toString())
      .put("type", MatchType.REGEX.name())
      .put("value", "(?!(?:" + String.join("|", KNOWN_METHODS) + ")$).*")
      .put("alias", OTHER_METHOD);
    return options.toJson().put("labelMatches", new JsonArray().add(otherMethods));
  }
}
