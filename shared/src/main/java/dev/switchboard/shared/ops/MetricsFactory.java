package dev.switchboard.shared.ops;

import dev.switchboard.shared.ops.HttpServerMeters.MethodMeters;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.backends.BackendRegistries;

import java.util.Map;

/**
 * vertx-micrometer's metrics, with the request metrics of HTTP servers recorded by
 * {@link HttpServerMeters} instead (same names and labels, meters resolved once). Given to a
 * Vert.x builder with {@code withMetrics}; the options stay vertx-micrometer's ({@link Metrics}).
 */
public final class MetricsFactory implements VertxMetricsFactory {

  private final MicrometerMetricsFactory micrometer = new MicrometerMetricsFactory();

  @Override
  public VertxMetrics metrics(VertxOptions options) {
    MetricsOptions given = options.getMetricsOptions();
    MicrometerMetricsOptions micrometerOptions = given instanceof MicrometerMetricsOptions m ? m : new MicrometerMetricsOptions(given.toJson());
    VertxMetrics metrics = micrometer.metrics(options);
    MeterRegistry registry = BackendRegistries.getNow(micrometerOptions.getRegistryName());
    if (registry == null) {
      return metrics;
    }
    return new Wrapped(metrics, HttpServerMeters.methods(registry,
      micrometerOptions.getMetricsNaming().withBaseName(MetricsDomain.HTTP_SERVER.getPrefix())));
  }

  @Override
  public MetricsOptions newOptions() {
    return micrometer.newOptions();
  }

  @Override
  public MetricsOptions newOptions(MetricsOptions options) {
    return micrometer.newOptions(options);
  }

  @Override
  public MetricsOptions newOptions(JsonObject json) {
    return micrometer.newOptions(json);
  }

  /** vertx-micrometer's metrics, but for the request metrics of its HTTP servers. */
  private record Wrapped(VertxMetrics vertx, Map<String, MethodMeters> methods) implements VertxMetrics {

    @Override
    public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions options, SocketAddress localAddress) {
      HttpServerMetrics<?, ?, ?> server = vertx.createHttpServerMetrics(options, localAddress);
      // null: the service measures its HTTP servers itself (ServiceDefinition.quietMetrics).
      return server == null ? null : new HttpServerMeters(server, methods);
    }

    @Override
    public EventBusMetrics<?> createEventBusMetrics() {
      return vertx.createEventBusMetrics();
    }

    @Override
    public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remoteAddress, String type, String namespace) {
      return vertx.createClientMetrics(remoteAddress, type, namespace);
    }

    @Override
    public HttpClientMetrics<?, ?, ?> createHttpClientMetrics(HttpClientOptions options) {
      return vertx.createHttpClientMetrics(options);
    }

    @Override
    public TCPMetrics<?> createNetServerMetrics(NetServerOptions options, SocketAddress localAddress) {
      return vertx.createNetServerMetrics(options, localAddress);
    }

    @Override
    public TCPMetrics<?> createNetClientMetrics(NetClientOptions options) {
      return vertx.createNetClientMetrics(options);
    }

    @Override
    public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
      return vertx.createDatagramSocketMetrics(options);
    }

    @Override
    public PoolMetrics<?, ?> createPoolMetrics(String type, String name, int maxSize) {
      return vertx.createPoolMetrics(type, name, maxSize);
    }

    @Override
    public void vertxCreated(Vertx created) {
      vertx.vertxCreated(created);
    }

    @Override
    public void close() {
      vertx.close();
    }
  }
}
