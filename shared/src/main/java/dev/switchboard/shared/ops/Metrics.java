package dev.switchboard.shared.ops;

import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

import java.util.Set;

/**
 * The metrics every Switchboard process collects: Vert.x's own (HTTP, TCP, event bus, pools) and
 * the JVM's, in a Prometheus registry scraped at {@code /metrics}.
 */
public final class Metrics {

  private Metrics() {
  }

  public static MicrometerMetricsOptions options() {
    return options(Set.of());
  }

  /** Every metric except the Vert.x domains in {@code quiet}. */
  public static MicrometerMetricsOptions options(Set<MetricsDomain> quiet) {
    MicrometerMetricsOptions options = new MicrometerMetricsOptions()
      .setEnabled(true)
      .setJvmMetricsEnabled(true)
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
    quiet.forEach(options::addDisabledMetricsCategory);
    return options;
  }
}
