package dev.switchboard.gateway.ops;

import dev.switchboard.gateway.upstream.Backends;
import dev.switchboard.shared.ops.Operations;
import dev.switchboard.shared.registry.ServiceRecord;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;

/**
 * {@code GET /prometheus/targets}: every service process in the cluster's registry as a Prometheus
 * scrape target, in the JSON of Prometheus's HTTP service discovery ({@code http_sd_configs}, since
 * Prometheus 2.28). Prometheus pointed at it follows the cluster as the gateway does: a process that
 * joins is scraped from the next refresh on, one that leaves is dropped, and no list of hosts has to
 * be kept anywhere. One target group per process, the gateway itself included:
 *
 * <pre>{@code
 * [{"targets":["10.0.0.5:9998"],
 *   "labels":{"service":"echo","node":"5c1e…","__metrics_path__":"/metrics"}}, …]
 * }</pre>
 *
 * The target is the process's operations endpoint ({@link ServiceRecord#opsAddress()}: its admin
 * port, else its HTTP port), where every service serves {@code /metrics}.
 */
public final class ScrapeTargets {

  public static final String PATH = "/prometheus/targets";
  /** Prometheus takes the path to scrape from this label of a target group. */
  static final String METRICS_PATH_LABEL = "__metrics_path__";

  private final Backends backends;

  public ScrapeTargets(Backends backends) {
    this.backends = backends;
  }

  public void mount(Router router) {
    router.route(HttpMethod.GET, PATH).handler(this::targets);
  }

  private void targets(RoutingContext ctx) {
    // Prometheus refuses an answer of any other content type.
    ctx.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .end(of(backends.records()).encode());
  }

  /**
   * One target group per record that has an operations endpoint, by service and then record id, so
   * that two refreshes of an unchanged cluster give the same answer.
   */
  static JsonArray of(Collection<ServiceRecord> records) {
    JsonArray groups = new JsonArray();
    records.stream()
      .sorted(Comparator.comparing(ServiceRecord::service).thenComparing(ServiceRecord::id))
      .forEach(record -> target(record).ifPresent(target -> groups.add(new JsonObject()
        .put("targets", new JsonArray().add(target))
        .put("labels", new JsonObject()
          .put("service", record.service())
          .put("node", record.node())
          .put(METRICS_PATH_LABEL, Operations.METRICS)))));
    return groups;
  }

  /** {@code host:port}, an IPv6 host in brackets; empty for a process without an HTTP endpoint. */
  private static Optional<String> target(ServiceRecord record) {
    return record.opsAddress().map(ScrapeTargets::hostPort);
  }

  private static String hostPort(SocketAddress address) {
    String host = address.host();
    boolean bare6 = host.indexOf(':') >= 0 && !host.startsWith("[");
    return (bare6 ? "[" + host + "]" : host) + ":" + address.port();
  }
}
