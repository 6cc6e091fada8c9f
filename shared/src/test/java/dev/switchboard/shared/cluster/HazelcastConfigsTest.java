package dev.switchboard.shared.cluster;

import com.hazelcast.config.Config;
import dev.switchboard.shared.InvalidSettingException;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HazelcastConfigsTest {

  @Test
  void defaultsJoinOverTcpOnLoopbackWithoutMulticast() {
    Config config = HazelcastConfigs.create(new ClusterOptions());
    assertEquals("switchboard", config.getClusterName());
    assertFalse(config.getNetworkConfig().getJoin().getMulticastConfig().isEnabled());
    assertTrue(config.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled());
    assertEquals(List.of("127.0.0.1"), List.copyOf(config.getNetworkConfig().getInterfaces().getInterfaces()));
    assertEquals(20, config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers().size());
    assertEquals("127.0.0.1:5701", config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers().get(0));
  }

  @Test
  void expandsPortRangesIntoMembers() {
    assertEquals(List.of("a:1", "a:2", "a:3", "b"), HazelcastConfigs.expand(List.of("a:1-3", "b")));
  }

  @Test
  void exactMembersWithOnePortProbeOnlyThoseAddresses() {
    // After a partition, every listed address a side does not have is probed in turn, and one
    // that nobody listens on costs that merge check 5 s: across hosts, list exact addresses.
    Config config = HazelcastConfigs.create(ClusterOptions.fromJson(new JsonObject()
      .put("host", "10.0.0.1").put("port", 5702).put("portCount", 1)
      .put("members", "10.0.0.1:5701,10.0.0.1:5702,10.0.0.2:5701")));
    assertEquals(List.of("10.0.0.1:5701", "10.0.0.1:5702", "10.0.0.2:5701"),
      config.getNetworkConfig().getJoin().getTcpIpConfig().getMembers());
    assertEquals(5702, config.getNetworkConfig().getPort());
    assertFalse(config.getNetworkConfig().isPortAutoIncrement());
    assertEquals("5", config.getProperty("hazelcast.merge.first.run.delay.seconds"));
    assertEquals("5", config.getProperty("hazelcast.merge.next.run.delay.seconds"));
    assertEquals("15", config.getProperty("hazelcast.graceful.shutdown.max.wait"), "a leaving member never waits minutes");
  }

  @Test
  void rejectsReversedPortRange() {
    assertThrows(InvalidSettingException.class, () -> ClusterOptions.fromJson(new JsonObject().put("members", "h:9-3")));
  }

  @Test
  void switchesToKubernetesDnsDiscovery() {
    Config config = HazelcastConfigs.create(ClusterOptions.fromJson(new JsonObject()
      .put("discovery", "kubernetes").put("host", "").put("serviceDns", "switchboard-hz.switchboard.svc.cluster.local")));
    assertTrue(config.getNetworkConfig().getJoin().getKubernetesConfig().isEnabled());
    assertEquals("switchboard-hz.switchboard.svc.cluster.local", config.getNetworkConfig().getJoin().getKubernetesConfig().getProperty("service-dns"));
    assertFalse(config.getNetworkConfig().getJoin().getTcpIpConfig().isEnabled());
  }
}
