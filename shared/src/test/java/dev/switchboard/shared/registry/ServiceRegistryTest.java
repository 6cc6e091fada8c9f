package dev.switchboard.shared.registry;

import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ServiceRegistryTest {

  /**
   * Bounds every wait, cluster start included: three Hazelcast members took over 30 s to start in a
   * CI run on a 2-core machine losing CPU to its hypervisor (the gateway's cluster tests allow 60).
   */
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  /** A member that leaves gracefully is gone from every view within this; see the README's figure. */
  private static final Duration GONE_WITHIN = Duration.ofSeconds(5);

  private TestCluster cluster;
  private Vertx standalone;

  @AfterEach
  void tearDown() throws Exception {
    if (cluster != null) {
      TestKit.await(cluster.close(), TIMEOUT);
    }
    if (standalone != null) {
      TestKit.await(standalone.close(), TIMEOUT);
    }
  }

  @Test
  void recordsCrossTheClusterWithTheNodesAddressAndLeaveWithTheirNode() throws Exception {
    cluster = TestCluster.started(3);
    ServiceDirectory directory = TestKit.await(ServiceDirectory.start(cluster.node(2)), TIMEOUT);

    ServiceRecord http = TestKit.await(ServiceRegistry.announce(cluster.node(0), runtime("http",
      Map.of("http", "http://0.0.0.0:3100", "admin", "http://0.0.0.0:3101", "bus", "echo"))), TIMEOUT);
    ServiceRecord echo = TestKit.await(ServiceRegistry.announce(cluster.node(1), runtime("echo", Map.of("tcp", "127.0.0.1:9100"))), TIMEOUT);

    List<ServiceRecord> seen = awaitView(directory, d -> d.instances("http").size() == 1 && d.instances("echo").size() == 1);
    ServiceRecord remote = directory.instances("http").get(0);
    assertEquals(http, remote);
    assertEquals("127.0.0.1", remote.host(), "a wildcard bind is announced as the cluster address");
    assertEquals(Map.of("http", 3100, "admin", 3101), remote.ports(), "the bus address is not a port");
    assertEquals(3101, remote.opsAddress().orElseThrow().port());
    assertEquals(echo, directory.instances("echo").get(0));
    assertEquals(2, seen.size());

    TestKit.await(ServiceRegistry.withdraw(cluster.node(0), http), TIMEOUT);
    awaitView(directory, d -> d.instances("http").isEmpty());

    long stopped = System.nanoTime();
    TestKit.await(cluster.stop(1), TIMEOUT);
    awaitView(directory, d -> d.instances("echo").isEmpty());
    Duration gone = Duration.ofNanos(System.nanoTime() - stopped);
    assertTrue(gone.compareTo(GONE_WITHIN) < 0, "echo's record outlived its node by " + gone);
    TestKit.await(directory.close(), TIMEOUT);
  }

  @Test
  void aDirectoryStartedLaterReadsWhatIsAlreadyThere() throws Exception {
    cluster = TestCluster.started(2);
    TestKit.await(ServiceRegistry.announce(cluster.node(0), runtime("files", Map.of("http", "http://127.0.0.2:3200"))), TIMEOUT);
    ServiceDirectory directory = TestKit.await(ServiceDirectory.start(cluster.node(1)), TIMEOUT);
    ServiceRecord files = directory.instances("files").get(0);
    assertEquals("127.0.0.2", files.host(), "a specific bind address is announced as is");
    assertEquals(3200, files.address("http").orElseThrow().port());
    TestKit.await(directory.close(), TIMEOUT);
  }

  @Test
  void standaloneTheRegistryIsTheProcesssOwn() throws Exception {
    standalone = Vertx.vertx();
    ServiceDirectory directory = TestKit.await(ServiceDirectory.start(standalone), TIMEOUT);
    ServiceRecord chat = TestKit.await(ServiceRegistry.announce(standalone, runtime("chat", Map.of("http", "http://0.0.0.0:3300"))), TIMEOUT);
    awaitView(directory, d -> d.instances("chat").size() == 1);
    assertEquals("127.0.0.1", directory.instances("chat").get(0).host());
    assertTrue(chat.node().startsWith("local-"), chat.node());
    TestKit.await(directory.close(), TIMEOUT);
  }

  private static ServiceRuntime runtime(String service, Map<String, String> endpoints) {
    ServiceRuntime runtime = ServiceRuntime.create(service, Duration.ofSeconds(1));
    endpoints.forEach(runtime::listening);
    return runtime;
  }

  /** Waits, without polling, until the view satisfies {@code condition}; returns all its records then. */
  private static List<ServiceRecord> awaitView(ServiceDirectory directory, Predicate<ServiceDirectory> condition) throws Exception {
    Promise<Void> reached = Promise.promise();
    directory.onChange(() -> {
      if (condition.test(directory)) {
        reached.tryComplete();
      }
    });
    if (condition.test(directory)) {
      reached.tryComplete();
    }
    TestKit.await(reached.future(), TIMEOUT);
    return List.copyOf(directory.all());
  }
}
