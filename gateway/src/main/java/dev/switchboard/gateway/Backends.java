package dev.switchboard.gateway;

import dev.switchboard.shared.Settings;
import dev.switchboard.shared.registry.ServiceDirectory;
import dev.switchboard.shared.registry.ServiceRecord;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The service nodes of the cluster as one gateway process sees them, shared by its instances: the
 * {@link ServiceDirectory}'s records, each with its health (an active {@code /ready} check every
 * {@code healthInterval}) and its circuit breaker (passive: opened by failures), and a {@link Balancer}
 * per route. Started by the first instance, stopped by the last.
 */
final class Backends {

  private static final Logger log = LoggerFactory.getLogger(Backends.class);

  /** The endpoint HTTP routes send to. */
  static final String HTTP = "http";
  /** A health check waits at most this long, and never longer than the interval between checks. */
  private static final Duration MAX_CHECK_TIME = Duration.ofSeconds(2);
  private static final String READY_PATH = "/ready";
  /** Failures older than this no longer count towards opening a node's circuit. */
  private static final Duration FAILURE_WINDOW = Duration.ofSeconds(10);

  private final GatewayOptions options;
  private final Map<String, Backend> backends = new ConcurrentHashMap<>();
  /** The nodes per service, sorted by id: rebuilt when the registry changes, read per request. */
  private volatile Map<String, List<Backend>> byService = Map.of();
  private final Map<String, Balancer> balancers = new ConcurrentHashMap<>();
  /** The services some route or BFF part sends to; the nodes of others (the gateway itself) are not followed. */
  private final Set<String> routed = new HashSet<>();
  private Future<Void> started;
  private int users;
  private Vertx vertx;
  private ServiceDirectory directory;
  private HttpClient checks;
  private long checkTimer = -1;

  Backends(GatewayOptions options) {
    this.options = options;
    for (Route route : options.routes()) {
      balancers.put(route.prefix(), Balancer.of(route));
      routed.add(route.service());
    }
    for (BffEndpoint endpoint : options.bff()) {
      endpoint.parts().stream().filter(p -> p.kind() == BffEndpoint.Kind.GET).forEach(p -> routed.add(p.target()));
    }
  }

  /** Called by each instance's start: the first one starts following the registry. */
  synchronized Future<Void> acquire(Vertx vertx) {
    users++;
    if (started == null) {
      this.vertx = vertx;
      started = ServiceDirectory.start(vertx).onSuccess(this::follow).mapEmpty();
    }
    return started;
  }

  /** Called by each instance's stop: the last one stops the checks. */
  synchronized Future<Void> release() {
    if (--users > 0 || directory == null) {
      return Future.succeededFuture();
    }
    vertx.cancelTimer(checkTimer);
    ServiceDirectory closing = directory;
    directory = null;
    started = null;
    return closing.close().compose(v -> checks.close());
  }

  Balancer balancer(Route route) {
    return balancers.get(route.prefix());
  }

  /** Every known HTTP node of {@code service}, available or not, in a stable order. */
  List<Backend> nodes(String service) {
    return byService.getOrDefault(service, List.of());
  }

  /** The nodes of {@code service} that may take a request now, minus those already tried for it. */
  List<Backend> available(String service, Set<String> tried) {
    List<Backend> nodes = nodes(service);
    List<Backend> available = new ArrayList<>(nodes.size());
    for (Backend node : nodes) {
      if (node.available() && !tried.contains(node.id())) {
        available.add(node);
      }
    }
    return available;
  }

  /** Every service process the registry lists, routed or not (the dashboard draws them all). */
  synchronized List<ServiceRecord> records() {
    return directory == null ? List.of() : List.copyOf(directory.all());
  }

  GatewayOptions options() {
    return options;
  }

  private synchronized void follow(ServiceDirectory directory) {
    this.directory = directory;
    this.checks = vertx.createHttpClient(new HttpClientOptions()
      .setConnectTimeout((int) checkTime().toMillis())
      .setKeepAlive(true));
    directory.onChange(() -> sync(directory));
    sync(directory);
    checkTimer = vertx.setPeriodic(options.healthInterval().toMillis(), id -> checkAll());
  }

  private synchronized void sync(ServiceDirectory directory) {
    Set<String> present = new HashSet<>();
    for (ServiceRecord record : directory.all()) {
      SocketAddress address = record.address(HTTP).orElse(null);
      if (address == null || !routed.contains(record.service())) {
        continue;
      }
      present.add(record.id());
      backends.computeIfAbsent(record.id(), id -> {
        String label = record.service() + "@" + address.host() + ":" + address.port();
        log.info("node up: {} ({})", label, record.node());
        return new Backend(record, address, breaker(label));
      });
    }
    backends.values().removeIf(b -> {
      boolean gone = !present.contains(b.id());
      if (gone) {
        log.info("node gone: {}", b.label());
        b.close();
      }
      return gone;
    });
    Map<String, List<Backend>> grouped = new HashMap<>();
    backends.values().stream().sorted(Comparator.comparing(Backend::id))
      .forEach(b -> grouped.computeIfAbsent(b.record().service(), k -> new ArrayList<>()).add(b));
    grouped.replaceAll((service, nodes) -> List.copyOf(nodes));
    byService = Map.copyOf(grouped);
  }

  /**
   * A node's circuit: open after {@code ejectAfter} failures within {@link #FAILURE_WINDOW}, half-open
   * after {@code ejectFor}. Time-outs are the routes' own; state changes are logged, not published.
   */
  private CircuitBreaker breaker(String label) {
    CircuitBreaker breaker = CircuitBreaker.create("gateway " + label, vertx, new CircuitBreakerOptions()
      .setMaxFailures(options.ejectAfter())
      .setResetTimeout(options.ejectFor().toMillis())
      .setFailuresRollingWindow(FAILURE_WINDOW.toMillis())
      .setTimeout(-1)
      .setNotificationAddress(null));
    breaker.openHandler(v -> log.warn("{}: circuit open, no traffic for {}", label, Settings.format(options.ejectFor())));
    breaker.halfOpenHandler(v -> log.info("{}: circuit half-open, one request may try it", label));
    breaker.closeHandler(v -> log.info("{}: circuit closed", label));
    return breaker;
  }

  private void checkAll() {
    for (Backend backend : backends.values()) {
      SocketAddress ops = backend.record().opsAddress().orElse(backend.address());
      checks.request(new RequestOptions()
          .setMethod(HttpMethod.GET)
          .setServer(ops)
          .setHost(ops.host())
          .setPort(ops.port())
          .setURI(READY_PATH)
          .setTimeout(checkTime().toMillis()))
        .compose(request -> request.send())
        .compose(response -> response.body().map(body -> response.statusCode()))
        .onComplete(result -> {
          boolean ready = result.succeeded() && result.result() == 200;
          if (ready != backend.ready()) {
            log.info("{} is {}", backend.label(), ready ? "ready again" : "not ready (" + (result.succeeded() ? result.result() : result.cause().toString()) + ")");
          }
          backend.ready(ready);
        });
    }
  }

  private Duration checkTime() {
    return options.healthInterval().compareTo(MAX_CHECK_TIME) < 0 ? options.healthInterval() : MAX_CHECK_TIME;
  }
}
