package dev.switchboard.chat;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Cleans up after what is gone: the members of a node that left the cluster leave their rooms
 * (whichever node removes an entry announces it), and rooms idle for {@code roomTtl} are dropped by
 * one instance per process. Started with the verticle, stopped with it.
 */
final class RoomCleanup {

  /** Under the verticle's name, as before it was split, so that log settings keep matching. */
  private static final Logger log = LoggerFactory.getLogger(ChatVerticle.class);

  private final ChatVerticle chat;
  private final Vertx vertx;
  private final ChatStore store;
  private final long roomTtlMillis;
  /** Shared by the instances of one process: set while one of them sweeps. */
  private final AtomicBoolean sweeper;
  private HazelcastInstance hazelcast;
  private UUID membership;
  private long sweep = -1;
  private boolean sweeping;

  RoomCleanup(ChatVerticle chat, Vertx vertx, ChatStore store, long roomTtlMillis, AtomicBoolean sweeper) {
    this.chat = chat;
    this.vertx = vertx;
    this.store = store;
    this.roomTtlMillis = roomTtlMillis;
    this.sweeper = sweeper;
  }

  /** Listens for nodes leaving {@code hazelcast}'s cluster; their events are handled on {@code context}. */
  void watch(HazelcastInstance hazelcast, Context context) {
    this.hazelcast = hazelcast;
    membership = hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        String gone = event.getMember().getUuid().toString();
        context.runOnContext(v -> nodeLeft(gone));
      }
    });
  }

  /** Sweeps idle rooms periodically, unless another instance of the process does. */
  void sweepPeriodically() {
    if (sweeper.compareAndSet(false, true)) {
      sweeping = true;
      sweep = vertx.setPeriodic(ChatVerticle.sweepEvery(roomTtlMillis), id -> sweepRooms());
    }
  }

  void stop() {
    if (sweeping) {
      vertx.cancelTimer(sweep);
      sweeper.set(false);
    }
    if (membership != null) {
      hazelcast.getCluster().removeMembershipListener(membership);
    }
  }

  private void sweepRooms() {
    store.presence().sweep(roomTtlMillis)
      .onSuccess(dropped -> {
        if (!dropped.isEmpty()) {
          log.info("{} idle rooms dropped: {}", dropped.size(), dropped.size() <= 10 ? dropped : dropped.subList(0, 10) + " ...");
        }
      })
      .onFailure(e -> log.warn("sweeping idle rooms failed: {}", e.toString()));
  }

  /** A node left the cluster: its members leave their rooms (whichever node removes an entry announces it). */
  private void nodeLeft(String node) {
    store.presence().exitNode(node)
      .onSuccess(removed -> {
        long now = System.currentTimeMillis();
        for (JsonObject entry : removed) {
          chat.publish(entry.getString("room"), ChatProtocol.left(entry.getString("room"), entry.getString("nickname"), now, "node left"));
        }
        if (!removed.isEmpty()) {
          log.info("node {} left the cluster: {} chat members removed", node, removed.size());
        }
      })
      .onFailure(e -> log.warn("node {} left the cluster; removing its chat members failed: {}", node, e.toString()));
  }
}
