package dev.switchboard.shared.registry;

import dev.switchboard.shared.ServiceRuntime;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.spi.cluster.ClusterManager;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Announces a service process to the cluster and withdraws it. Records live in a cluster-wide map
 * (Hazelcast, one backup) keyed by record id, and every change is published on {@link #CHANGES} so
 * that readers update at once. Standalone, the map is the process's own.
 */
public final class ServiceRegistry {

  /** The cluster-wide map of records, id to {@link ServiceRecord#toJson()}. */
  public static final String MAP = "switchboard.registry";
  /** Publishes {@code {"up": record}} and {@code {"down": id}}. */
  public static final String CHANGES = "switchboard.registry.changes";

  /** {@code http://0.0.0.0:3000}, {@code 0.0.0.0:9999}, {@code [::]:7000}: an optional scheme, a host, a port. */
  private static final Pattern ADDRESS = Pattern.compile("(?:[a-z]+://)?(\\[[^]]+]|[^:/]+):(\\d{1,5})/?");
  private static final Set<String> WILDCARDS = Set.of("0.0.0.0", "::", "[::]", "");
  private static final String LOOPBACK = "127.0.0.1";
  /** Standalone processes still need a node id that no other process has. */
  private static final String LOCAL_NODE = "local-" + UUID.randomUUID();

  private ServiceRegistry() {
  }

  /** Publishes this process's listening endpoints, as {@link ServiceRuntime#endpoints()} records them. */
  public static Future<ServiceRecord> announce(Vertx vertx, ServiceRuntime runtime) {
    Map<String, Integer> ports = new TreeMap<>();
    String bound = null;
    for (Map.Entry<String, String> endpoint : runtime.endpoints().entrySet()) {
      Matcher address = ADDRESS.matcher(endpoint.getValue());
      if (address.matches()) {
        ports.put(endpoint.getKey(), Integer.parseInt(address.group(2)));
        bound = address.group(1);
      }
    }
    String host = bound != null && !WILDCARDS.contains(bound) ? bound : advertisedHost(vertx);
    ServiceRecord record = new ServiceRecord(UUID.randomUUID().toString(), runtime.service(), nodeId(vertx), host, ports);
    return map(vertx)
      .compose(map -> map.put(record.id(), record.toJson()))
      .onSuccess(v -> vertx.eventBus().publish(CHANGES, new JsonObject().put("up", record.toJson())))
      .map(record);
  }

  /**
   * Puts a record back: after this process's Hazelcast member merged back into the cluster from
   * a partition, when the others had already forgotten it.
   */
  public static Future<Void> reannounce(Vertx vertx, ServiceRecord record) {
    return map(vertx)
      .compose(map -> map.put(record.id(), record.toJson()))
      .onSuccess(v -> vertx.eventBus().publish(CHANGES, new JsonObject().put("up", record.toJson())));
  }

  /** Removes the record; readers stop sending work to it. */
  public static Future<Void> withdraw(Vertx vertx, ServiceRecord record) {
    return map(vertx)
      .compose(map -> map.remove(record.id()))
      .onSuccess(v -> vertx.eventBus().publish(CHANGES, new JsonObject().put("down", record.id())))
      .mapEmpty();
  }

  static Future<AsyncMap<String, JsonObject>> map(Vertx vertx) {
    return vertx.sharedData().getAsyncMap(MAP);
  }

  /** The cluster manager of a clustered Vert.x, or null. Vert.x has no public accessor for it. */
  static ClusterManager clusterManager(Vertx vertx) {
    return vertx instanceof VertxInternal internal ? internal.clusterManager() : null;
  }

  static String nodeId(Vertx vertx) {
    ClusterManager manager = clusterManager(vertx);
    return manager != null ? manager.getNodeId() : LOCAL_NODE;
  }

  /** The host the cluster knows this process by: its public cluster address, its cluster address, or loopback. */
  private static String advertisedHost(Vertx vertx) {
    ClusterManager manager = clusterManager(vertx);
    if (manager == null) {
      return LOOPBACK;
    }
    String host = manager.clusterPublicHost();
    if (host == null) {
      host = manager.clusterHost();
    }
    return host == null ? LOOPBACK : host;
  }
}
