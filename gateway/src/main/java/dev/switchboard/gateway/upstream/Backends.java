package dev.switchboard.gateway.upstream;

import dev.switchboard.gateway.config.GatewayOptions;
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
 * {@code healthInterval}) and its circuit breaker (passive: opened by failures). Started by the
 * first instance, stopped by the last.
 */
public final class Backends {

  private static final Logger log = LoggerFactory.getLogger(Backends.class);

  /** The endpoint HTTP routes send to. */
  public static final String HTTP = "http";
  /** The endpoint TCP routes send to. */
  public static final String TCP = "tcp";
  /** A health check waits at most this long, and never longer than the interval between checks. */
  private static final Duration MAX_CHECK_TIME = Duration.ofSeconds(2);
  private static final String READY_PATH = "/ready";
  /** Failures older than this no longer count towards opening a node's circuit. */
  private static final Duration FAILURE_WINDOW = Duration.ofSeconds(10);

  private final GatewayOptions options;
  private final Map<String, Backend> backends = new ConcurrentHashMap<>();
  /** The TCP endpoints of the services a TCP route sends to, by record id. */
  private final Map<String, Backend> tcpBackends = new ConcurrentHashMap<>();
  /** The nodes per service, sorted by id: rebuilt when the registry changes, read per request. */
  private volatile Map<String, List<Backend>> byService = Map.of();
  private volatile Map<String, List<Backend>> byTcpService = Map.of();
  /** The services some route or BFF part sends to; the nodes of others (the gateway itself) are not followed. */
  private final Set<String> routed = ConcurrentHashMap.newKeySet();
  private final Set<String> tcpRouted = ConcurrentHashMap.newKeySet();
  private Future<Void> started;
  private int users;
  private Vertx vertx;
  private ServiceDirectory directory;
  private HttpClient checks;
  private long checkTimer = -1;

  public Backends(GatewayOptions options) {
    this.options = options;
  }

  /** Follows the nodes of {@code service} that announce {@code endpoint} ({@link #HTTP} or {@link #TCP}); call before {@link #acquire}. */
  void follow(String service, String endpoint) {
    (TCP.equals(endpoint) ? tcpRouted : routed).add(service);
  }

  /** Called by each instance's start: the first one starts following the registry. */
  public synchronized Future<Void> acquire(Vertx vertx) {
    users++;
    if (started == null) {
      this.vertx = vertx;
      started = ServiceDirectory.start(vertx).onSuccess(this::follow).mapEmpty();
    }
    return started;
  }

  /** Called by each instance's stop: the last one stops the checks. */
  public synchronized Future<Void> release() {
    if (--users > 0 || directory == null) {
      return Future.succeededFuture();
    }
    vertx.cancelTimer(checkTimer);
    ServiceDirectory closing = directory;
    directory = null;
    started = null;
    return closing.close().compose(v -> checks.close());
  }

  /** Every known HTTP node of {@code service}, available or not, in a stable order. */
  public List<Backend> nodes(String service) {
    return byService.getOrDefault(service, List.of());
  }

  /** Every known TCP endpoint of {@code service}'s nodes, available or not, in a stable order. */
  public List<Backend> tcpNodes(String service) {
    return byTcpService.getOrDefault(service, List.of());
  }

  /** The nodes of {@code target}'s service that may take a call now, minus those already tried for it. */
  List<Backend> available(Target target, Set<String> tried) {
    return available(TCP.equals(target.endpoint()) ? tcpNodes(target.service()) : nodes(target.service()), tried);
  }

  private static List<Backend> available(List<Backend> nodes, Set<String> tried) {
    List<Backend> available = new ArrayList<>(nodes.size());
    for (Backend node : nodes) {
      if (node.available() && !tried.contains(node.id())) {
        available.add(node);
      }
    }
    return available;
  }

  /** Every service process the registry lists, routed or not (the dashboard draws them all). */
  public synchronized List<ServiceRecord> records() {
    return directory == null ? List.of() : List.copyOf(directory.all());
  }

  public GatewayOptions options() {
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
    byService = track(directory, HTTP, routed, backends, "");
    byTcpService = track(directory, TCP, tcpRouted, tcpBackends, "tcp ");
  }

  /**
   * Brings {@code nodes} (by record id) in line with the registry's records of {@code services}
   * that have {@code endpoint}; the nodes per service, sorted by id.
   */
  private Map<String, List<Backend>> track(ServiceDirectory directory, String endpoint, Set<String> services,
                                          Map<String, Backend> nodes, String logPrefix) {
    Set<String> present = new HashSet<>();
    for (ServiceRecord record : directory.all()) {
      SocketAddress address = record.address(endpoint).orElse(null);
      if (address == null || !services.contains(record.service())) {
        continue;
      }
      present.add(record.id());
      nodes.computeIfAbsent(record.id(), id -> {
        String label = record.service() + "@" + address.host() + ":" + address.port();
        log.info("{}node up: {} ({})", logPrefix, label, record.node());
        return new Backend(record, address, breaker(label));
      });
    }
    nodes.values().removeIf(b -> {
      boolean gone = !present.contains(b.id());
      if (gone) {
        log.info("{}node gone: {}", logPrefix, b.label());
        b.close();
      }
      return gone;
    });
    Map<String, List<Backend>> grouped = new HashMap<>();
    nodes.values().stream().sorted(Comparator.comparing(Backend::id))
      .forEach(b -> grouped.computeIfAbsent(b.record().service(), k -> new ArrayList<>()).add(b));
    grouped.replaceAll((service, list) -> List.copyOf(list));
    return Map.copyOf(grouped);
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
    List<Backend> all = new ArrayList<>(backends.values());
    all.addAll(tcpBackends.values());
    for (Backend backend : all) {
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
