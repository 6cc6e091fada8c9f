package dev.switchboard.shared.testkit;

import dev.switchboard.shared.cluster.ClusterOptions;
import dev.switchboard.shared.cluster.EventBusConfigs;
import dev.switchboard.shared.cluster.HazelcastConfigs;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * An N-member Vert.x cluster in one JVM: Hazelcast members on 127.0.0.1 with free ports and a
 * random cluster name, so concurrent runs and other clusters on the machine never meet it.
 * Configured through the same {@link HazelcastConfigs} and {@link EventBusConfigs} as the services.
 */
public final class TestCluster {

  /**
   * How long {@link #started} waits for {@link #start}: members join one after the other, and on a starved
   * 2-core CI machine three of them have taken more than 30 s (one alone 12 s).
   */
  public static final Duration START = Duration.ofSeconds(60);

  /** How long {@link #start} waits, once every member is up, for their partitions to have settled. */
  private static final Duration SETTLE_LIMIT = Duration.ofSeconds(30);

  /** Ports tried per member when the one picked is taken before Hazelcast binds it. */
  private static final int BIND_ATTEMPTS = 3;

  private final String name;
  private final List<String> members;
  private final List<Vertx> nodes = new ArrayList<>();
  private final List<HazelcastClusterManager> managers = new ArrayList<>();

  private TestCluster(String name, List<String> members) {
    this.name = name;
    this.members = members;
  }

  /**
   * Starts {@code size} members one after the other, then waits until their partitions have
   * settled (see {@link #settled}); fails if any cannot join.
   */
  public static Future<TestCluster> start(int size) {
    return start(Collections.nCopies(size, UnaryOperator.identity()));
  }

  /**
   * Starts one member per entry, one after the other, each with the cluster's options as that
   * entry changes them (e.g. {@link ClusterOptions#withBusTls}: the event bus over TLS on some
   * members and not on others); fails if any cannot join. Each member is built as the launcher
   * builds a service's Vert.x: {@link HazelcastConfigs} and {@link EventBusConfigs}.
   */
  public static Future<TestCluster> start(List<UnaryOperator<ClusterOptions>> settings) {
    return start(settings, Collections.nCopies(settings.size(), UnaryOperator.identity()));
  }

  /**
   * As {@link #start(List)}, each member's Vert.x also built as its entry of {@code builders} changes
   * it (e.g. a tracer for the service it will run, as the launcher adds one).
   */
  public static Future<TestCluster> start(List<UnaryOperator<ClusterOptions>> settings, List<UnaryOperator<VertxBuilder>> builders) {
    if (builders.size() != settings.size()) {
      throw new IllegalArgumentException("one builder change per member: " + builders.size() + " for " + settings.size());
    }
    List<Integer> ports = new ArrayList<>();
    for (int i = 0; i < settings.size(); i++) {
      ports.add(freePort());
    }
    List<String> members = ports.stream().map(p -> "127.0.0.1:" + p).toList();
    TestCluster cluster = new TestCluster("test-" + UUID.randomUUID(), new CopyOnWriteArrayList<>(members));
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < ports.size(); i++) {
      int port = ports.get(i);
      UnaryOperator<ClusterOptions> change = settings.get(i);
      UnaryOperator<VertxBuilder> build = builders.get(i);
      chain = chain.compose(v -> cluster.addNode(port, change, build, BIND_ATTEMPTS));
    }
    return chain.compose(v -> cluster.settled()).map(cluster);
  }

  /**
   * Done once every partition has its owner and backups in place (Hazelcast's cluster-safe state).
   * Right after members join, partitions migrate to them, and a map or counter call that meets a
   * migrating partition is retried for up to seconds: a test that is not about migration starts
   * after it, or its first calls can miss a command timeout on a slow machine.
   */
  private Future<Void> settled() {
    Vertx first = nodes.get(0);
    return TestKit.poll(first,
        () -> first.executeBlocking(() -> managers.stream().allMatch(m -> m.getHazelcastInstance().getPartitionService().isClusterSafe()), false),
        Boolean::booleanValue, Duration.ofMillis(50), SETTLE_LIMIT)
      .recover(e -> Future.failedFuture(new TimeoutException("the cluster's partitions did not settle within " + SETTLE_LIMIT.toSeconds() + " s")))
      .mapEmpty();
  }

  /** {@link #start(List)}, waited for at most {@link #START}: for a test's set-up. */
  public static TestCluster started(List<UnaryOperator<ClusterOptions>> settings) throws Exception {
    return TestKit.await(start(settings), START);
  }

  /** {@link #start(List, List)}, waited for at most {@link #START}: for a test's set-up. */
  public static TestCluster started(List<UnaryOperator<ClusterOptions>> settings, List<UnaryOperator<VertxBuilder>> builders) throws Exception {
    return TestKit.await(start(settings, builders), START);
  }

  /** {@link #start}, waited for at most {@link #START}: for a test's set-up. */
  public static TestCluster started(int size) throws Exception {
    return TestKit.await(start(size), START);
  }

  /** Options for a member of this cluster (for a node started by other means, e.g. a process). */
  public ClusterOptions options(int port) {
    return new ClusterOptions(name, "127.0.0.1", port, 1, members, ClusterOptions.Discovery.TCP, "", ClusterOptions.Backups.MEMBER);
  }

  public String name() {
    return name;
  }

  public List<Vertx> nodes() {
    return List.copyOf(nodes);
  }

  public Vertx node(int index) {
    return nodes.get(index);
  }

  /** Stops one member, as a node that goes away. */
  public Future<Void> stop(int index) {
    return nodes.get(index).close();
  }

  /** Closes every member; safe to call after some were stopped. */
  public Future<Void> close() {
    return Future.join(nodes.stream().map(Vertx::close).toList()).mapEmpty();
  }

  /**
   * Starts a member on {@code port}. A port found free can be taken by someone else before
   * Hazelcast binds it (seen in CI): then the member starts on another free port, which it adds to
   * the member list; the others still reach it, as it contacts them.
   */
  private Future<Void> addNode(int port, UnaryOperator<ClusterOptions> change, UnaryOperator<VertxBuilder> build, int attemptsLeft) {
    ClusterOptions options = change.apply(options(port));
    HazelcastClusterManager manager = new HazelcastClusterManager(HazelcastConfigs.create(options));
    EventBusOptions bus = EventBusConfigs.configure(new EventBusOptions().setHost("127.0.0.1").setPort(0), options);
    return build.apply(Vertx.builder()
      .with(new VertxOptions().setEventBusOptions(bus))
      .withClusterManager(manager))
      .buildClustered()
      .onSuccess(vertx -> {
        nodes.add(vertx);
        managers.add(manager);
      })
      .<Void>mapEmpty()
      .recover(e -> {
        if (attemptsLeft <= 1 || !String.valueOf(e.getMessage()).contains("already in use")) {
          return Future.failedFuture(e);
        }
        int other = freePort();
        members.add("127.0.0.1:" + other);
        return addNode(other, change, build, attemptsLeft - 1);
      });
  }

  /** A port free now; Hazelcast binds it a moment later, and the OS does not hand it out again that soon. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
