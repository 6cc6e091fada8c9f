package dev.switchboard.shared.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.PartitionGroupConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds the Hazelcast member configuration from {@link ClusterOptions}, in code so that the
 * project owns every setting: no multicast, no auto-detection, no phone-home, SLF4J logging, and
 * the maps the Vert.x cluster manager needs.
 */
public final class HazelcastConfigs {

  /** Vert.x keeps the event bus subscriptions here; a backup survives the loss of one member. */
  private static final String SUBSCRIPTIONS = "__vertx.subs";
  private static final String HA_INFO = "__vertx.haInfo";
  private static final String NODE_INFO = "__vertx.nodeInfo";
  /** Seconds a member waits for others before it forms a cluster alone; Hazelcast's default is 5. */
  private static final String WAIT_BEFORE_JOIN_SECONDS = "1";
  /** Seconds without a heartbeat before a member is declared gone; Hazelcast's default is 60. */
  private static final String MAX_NO_HEARTBEAT_SECONDS = "15";
  /**
   * Seconds before members that a network partition split into two clusters first look for each
   * other, and between later looks; Hazelcast's defaults (300 and 120) keep a healed partition
   * split for minutes.
   */
  private static final String MERGE_FIRST_DELAY_SECONDS = "5";
  private static final String MERGE_NEXT_DELAY_SECONDS = "5";

  /**
   * Seconds a leaving member waits for its partitions to move before it stops anyway (the backups
   * take over then); Hazelcast's default, 600, can hold a stopping process, or a test, for minutes
   * when migrations stall on a busy machine, and outlives any termination grace period.
   */
  private static final String GRACEFUL_SHUTDOWN_MAX_WAIT_SECONDS = "15";

  private static final Pattern PORT_RANGE = Pattern.compile("(.+):(\\d{1,5})-(\\d{1,5})");

  private HazelcastConfigs() {
  }

  public static Config create(ClusterOptions options) {
    Config config = new Config();
    config.setClusterName(options.name());
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", WAIT_BEFORE_JOIN_SECONDS);
    config.setProperty("hazelcast.max.no.heartbeat.seconds", MAX_NO_HEARTBEAT_SECONDS);
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.merge.first.run.delay.seconds", MERGE_FIRST_DELAY_SECONDS);
    config.setProperty("hazelcast.merge.next.run.delay.seconds", MERGE_NEXT_DELAY_SECONDS);
    config.setProperty("hazelcast.graceful.shutdown.max.wait", GRACEFUL_SHUTDOWN_MAX_WAIT_SECONDS);

    NetworkConfig network = config.getNetworkConfig();
    network.setPort(options.port()).setPortCount(options.portCount()).setPortAutoIncrement(options.portCount() > 1);
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (options.discovery() == ClusterOptions.Discovery.TCP) {
      config.setProperty("hazelcast.socket.bind.any", "false");
      network.getInterfaces().setEnabled(true).addInterface(options.host());
      join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(2).setMembers(expand(options.members()));
    } else {
      if (!options.host().isEmpty()) {
        network.setPublicAddress(options.host());
      }
      join.getKubernetesConfig().setEnabled(true)
        .setProperty("service-dns", options.serviceDns())
        .setProperty("service-port", String.valueOf(options.port()));
    }

    if (options.backups() == ClusterOptions.Backups.HOST) {
      // Members are grouped by IP address, and a backup never lives in its primary's group.
      config.getPartitionGroupConfig().setEnabled(true).setGroupType(PartitionGroupConfig.MemberGroupType.HOST_AWARE);
    }

    config.addMultiMapConfig(new MultiMapConfig(SUBSCRIPTIONS)
      .setBackupCount(1)
      .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
    config.addMapConfig(new MapConfig(HA_INFO).setBackupCount(1));
    config.addMapConfig(new MapConfig(NODE_INFO).setBackupCount(1));
    return config;
  }

  /**
   * Expands {@code host:first-last} port ranges, which Hazelcast's TCP/IP join does not read, into
   * one member per port.
   */
  static List<String> expand(List<String> members) {
    List<String> expanded = new ArrayList<>();
    for (String member : members) {
      Matcher range = PORT_RANGE.matcher(member);
      if (!range.matches()) {
        expanded.add(member);
        continue;
      }
      int first = Integer.parseInt(range.group(2));
      int last = Integer.parseInt(range.group(3));
      for (int port = first; port <= last; port++) {
        expanded.add(range.group(1) + ":" + port);
      }
    }
    return expanded;
  }
}
