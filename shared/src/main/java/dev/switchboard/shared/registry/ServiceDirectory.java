package dev.switchboard.shared.registry;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A live, process-wide view of the {@link ServiceRegistry}: every record of every node that is a
 * member of the cluster now. It follows the registry's change messages, drops a node's records the
 * moment Hazelcast reports the member gone (no time-out to wait for), and re-reads the whole map
 * every {@link #RESYNC} as a backstop. Reads are lock-free snapshots, safe from any thread.
 */
public final class ServiceDirectory {

  private static final Logger log = LoggerFactory.getLogger(ServiceDirectory.class);

  /** How often the whole registry is re-read, in case a change message was missed. */
  static final Duration RESYNC = Duration.ofSeconds(5);
  /** How long a withdrawn id is kept from coming back through a re-read that raced the withdrawal. */
  private static final Duration TOMBSTONE = Duration.ofMinutes(1);

  private final Vertx vertx;
  private final Context context;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, Long> tombstones = new LinkedHashMap<>();
  private volatile Map<String, ServiceRecord> records = Map.of();
  private MessageConsumer<JsonObject> changes;
  private long resyncTimer = -1;
  private UUID membership;

  private ServiceDirectory(Vertx vertx, Context context) {
    this.vertx = vertx;
    this.context = context;
  }

  /** Reads the registry once and keeps following it until {@link #close()}. */
  public static Future<ServiceDirectory> start(Vertx vertx) {
    Context context = vertx.getOrCreateContext();
    ServiceDirectory directory = new ServiceDirectory(vertx, context);
    return Future.<Void>future(p -> context.runOnContext(v -> directory.follow().onComplete(p))).map(directory);
  }

  /** The live records of one service, in a stable order. */
  public List<ServiceRecord> instances(String service) {
    return records.values().stream()
      .filter(r -> r.service().equals(service))
      .sorted(Comparator.comparing(ServiceRecord::id))
      .toList();
  }

  public Collection<ServiceRecord> all() {
    return records.values();
  }

  /** Runs {@code listener} (on the directory's context) after every change of the view. */
  public void onChange(Runnable listener) {
    listeners.add(listener);
  }

  public Future<Void> close() {
    return Future.future(p -> context.runOnContext(v -> {
      if (resyncTimer >= 0) {
        vertx.cancelTimer(resyncTimer);
      }
      HazelcastClusterManager hazelcast = hazelcast();
      if (membership != null && hazelcast != null && hazelcast.getHazelcastInstance().getLifecycleService().isRunning()) {
        hazelcast.getHazelcastInstance().getCluster().removeMembershipListener(membership);
      }
      (changes == null ? Future.<Void>succeededFuture() : changes.unregister()).onComplete(p);
    }));
  }

  // ---- following the registry

  private Future<Void> follow() {
    changes = vertx.eventBus().consumer(ServiceRegistry.CHANGES, message -> onMessage(message.body()));
    HazelcastClusterManager hazelcast = hazelcast();
    if (hazelcast != null) {
      membership = hazelcast.getHazelcastInstance().getCluster().addMembershipListener(new MembershipListener() {
        @Override
        public void memberAdded(MembershipEvent event) {
        }

        @Override
        public void memberRemoved(MembershipEvent event) {
          context.runOnContext(v -> dropDepartedNodes());
        }
      });
    }
    resyncTimer = vertx.setPeriodic(RESYNC.toMillis(), id -> resync());
    return changes.completion().compose(v -> resync());
  }

  private void onMessage(JsonObject change) {
    Map<String, ServiceRecord> next = new LinkedHashMap<>(records);
    JsonObject up = change.getJsonObject("up");
    String down = change.getString("down");
    if (up != null) {
      ServiceRecord record = ServiceRecord.fromJson(up);
      tombstones.remove(record.id()); // announced again, e.g. after a partition healed
      if (liveNodes().map(nodes -> nodes.contains(record.node())).orElse(true)) {
        next.put(record.id(), record);
      }
    } else if (down != null) {
      tombstones.put(down, System.nanoTime());
      next.remove(down);
    }
    publish(next);
  }

  private Future<Void> resync() {
    return ServiceRegistry.map(vertx).compose(map -> map.entries()).map(entries -> {
      expireTombstones();
      Set<String> live = liveNodes().orElse(null);
      Map<String, ServiceRecord> next = new LinkedHashMap<>();
      for (JsonObject json : entries.values()) {
        ServiceRecord record = ServiceRecord.fromJson(json);
        if (tombstones.containsKey(record.id())) {
          continue;
        }
        if (live != null && !live.contains(record.node())) {
          forget(record); // its node left while it could not withdraw; clean the map up
          continue;
        }
        next.put(record.id(), record);
      }
      publish(next);
      return (Void) null;
    }).onFailure(e -> log.warn("could not read the service registry: {}", e.toString()));
  }

  private void dropDepartedNodes() {
    Set<String> live = liveNodes().orElse(null);
    if (live == null) {
      return;
    }
    Map<String, ServiceRecord> next = new LinkedHashMap<>();
    for (ServiceRecord record : records.values()) {
      if (live.contains(record.node())) {
        next.put(record.id(), record);
      } else {
        log.info("{} at {} left the cluster with its node {}", record.service(), record.host(), record.node());
        forget(record);
      }
    }
    publish(next);
  }

  private void forget(ServiceRecord record) {
    tombstones.put(record.id(), System.nanoTime());
    ServiceRegistry.map(vertx).compose(map -> map.remove(record.id()))
      .onFailure(e -> log.debug("could not remove {} from the registry: {}", record.id(), e.toString()));
  }

  private void publish(Map<String, ServiceRecord> next) {
    if (next.equals(records)) {
      return;
    }
    records = Map.copyOf(next);
    listeners.forEach(Runnable::run);
  }

  private void expireTombstones() {
    long now = System.nanoTime();
    tombstones.values().removeIf(at -> now - at > TOMBSTONE.toNanos());
  }

  /** The cluster's node ids now, or empty standalone (where every record is this process's own). */
  private Optional<Set<String>> liveNodes() {
    ClusterManager manager = ServiceRegistry.clusterManager(vertx);
    return manager == null ? Optional.empty() : Optional.of(new HashSet<>(manager.getNodes()));
  }

  private HazelcastClusterManager hazelcast() {
    return ServiceRegistry.clusterManager(vertx) instanceof HazelcastClusterManager manager ? manager : null;
  }
}
