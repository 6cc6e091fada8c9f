package dev.switchboard.shared.ops;

import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

/**
 * The metrics every Switchboard process collects: Vert.x's own (HTTP, TCP, event bus, pools) and
 * the JVM's, in a Prometheus registry scraped at {@code /metrics}.
 */
public final class Metrics {

  private Metrics() {
  }

  public static MicrometerMetricsOptions options() {
    return new MicrometerMetricsOptions()
      .setEnabled(true)
      .setJvmMetricsEnabled(true)
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
  }
}
