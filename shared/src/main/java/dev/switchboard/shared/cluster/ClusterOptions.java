package dev.switchboard.shared.cluster;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.OptionKey;
import dev.switchboard.shared.OptionsSchema;
import dev.switchboard.shared.Require;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How this process joins the Hazelcast cluster when started with {@code -cluster}; the
 * {@code cluster} section of the configuration.
 *
 * @param name        the cluster name; members with another name never join
 * @param host        the interface Hazelcast binds to and announces
 * @param port        the first Hazelcast member port tried
 * @param portCount   how many ports from {@code port} upwards are tried, by this member and in
 *                    each {@code members} entry without a port
 * @param members     TCP/IP join: members to contact, {@code host}, {@code host:port} or
 *                    {@code host:first-last}; across hosts, list exact {@code host:port}
 *                    addresses (a merge check after a partition spends about 5 s on each listed
 *                    address where no member listens)
 * @param discovery   {@code tcp} (members above) or {@code kubernetes} (DNS of a headless service)
 * @param serviceDns  Kubernetes discovery: the headless service's DNS name
 * @param backups     where data backups go: {@code member} (any other member) or {@code host}
 *                    (a member on another host, so that losing a whole host loses no data; needs
 *                    members on at least two hosts)
 * @param busPort     the event bus's own port (node-to-node messages; not Hazelcast's): 0 takes
 *                    any free port, a fixed one lets a firewall or NetworkPolicy name it
 * @param busTlsCert  the cluster certificate (PEM) this node presents on the event bus, as server
 *                    and as client; empty: the bus is plaintext (see {@link EventBusConfigs})
 * @param busTlsKey   the private key of {@code busTlsCert} (PEM, PKCS#8 or PKCS#1)
 * @param busTlsCa    the certificates (PEM) a peer's certificate must chain to; empty: the
 *                    cluster certificate itself, one certificate shared by every node
 */
public record ClusterOptions(
  String name,
  String host,
  int port,
  int portCount,
  List<String> members,
  Discovery discovery,
  String serviceDns,
  Backups backups,
  int busPort,
  String busTlsCert,
  String busTlsKey,
  String busTlsCa) {

  /** How members find each other. */
  public enum Discovery { TCP, KUBERNETES }

  /** Where the backup of a piece of cluster data is kept, relative to its primary. */
  public enum Backups { MEMBER, HOST }

  /** The section name in the configuration. */
  public static final String SECTION = "cluster";
  public static final String DEFAULT_NAME = "switchboard";
  /** Loopback: a cluster on one machine never reaches outside it unless configured to. */
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_PORT = 5701;
  public static final int DEFAULT_PORT_COUNT = 20;
  /** Every port a member on this machine may take with the default port and portCount. */
  public static final List<String> DEFAULT_MEMBERS = List.of("127.0.0.1:5701-5720");
  public static final Discovery DEFAULT_DISCOVERY = Discovery.TCP;
  /** One machine in development, where every member shares the host: any other member. */
  public static final Backups DEFAULT_BACKUPS = Backups.MEMBER;
  /** Any free port, as Vert.x picks by default: several processes share one machine in development. */
  public static final int DEFAULT_BUS_PORT = 0;
  public static final int MAX_PORT_COUNT = 1000;
  private static final Pattern MEMBER_RANGE = Pattern.compile(".+:(\\d{1,5})-(\\d{1,5})");

  /** The keys of the section, one per component. The TLS keys are paths: the key's contents never reach a log line. */
  public static final OptionsSchema<ClusterOptions> SCHEMA = OptionsSchema.of(SECTION, ClusterOptions.class, ClusterOptions::new,
    OptionKey.string("name", "cluster name; only members with the same name join"),
    OptionKey.string("host", "interface Hazelcast binds to and announces (kubernetes: leave empty for the pod IP)"),
    OptionKey.integer("port", "first Hazelcast member port"),
    OptionKey.integer("portCount", "how many ports from 'port' up are tried"),
    OptionKey.list("members", "tcp discovery: comma-separated host, host:port or host:first-last of members"),
    OptionKey.choice("discovery", Discovery.class, "tcp or kubernetes"),
    OptionKey.string("serviceDns", "kubernetes discovery: DNS name of the headless service"),
    OptionKey.choice("backups", Backups.class, "member (backups on any other member) or host (on another host's member)"),
    OptionKey.integer("busPort", "event bus port between nodes; 0: any free port"),
    OptionKey.string("busTlsCert", "cluster certificate (PEM file) for TLS on the event bus; empty: plaintext bus"),
    OptionKey.string("busTlsKey", "its private key (PEM file)"),
    OptionKey.string("busTlsCa", "CA certificates (PEM file) a peer must chain to; empty: busTlsCert itself"));

  public ClusterOptions {
    Require.nonBlank("name", name);
    host = host == null ? "" : host.trim();
    Require.port("port", port);
    Require.range("portCount", portCount, 1, MAX_PORT_COUNT);
    members = List.copyOf(members);
    for (String member : members) {
      checkMember(member);
    }
    if (discovery == null) {
      throw new InvalidSettingException("discovery", null, "must be one of tcp, kubernetes");
    }
    serviceDns = serviceDns == null ? "" : serviceDns.trim();
    if (backups == null) {
      throw new InvalidSettingException("backups", null, "must be one of member, host");
    }
    Require.port("busPort", busPort);
    busTlsCert = busTlsCert == null ? "" : busTlsCert.trim();
    busTlsKey = busTlsKey == null ? "" : busTlsKey.trim();
    busTlsCa = busTlsCa == null ? "" : busTlsCa.trim();
    if (!busTlsCert.isEmpty() && busTlsKey.isEmpty()) {
      throw new InvalidSettingException("busTlsKey", "", "must be set with busTlsCert (the certificate's private key)");
    }
    if (busTlsCert.isEmpty() && !busTlsKey.isEmpty()) {
      throw new InvalidSettingException("busTlsCert", "", "must be set with busTlsKey (the key's certificate)");
    }
    if (busTlsCert.isEmpty() && !busTlsCa.isEmpty()) {
      throw new InvalidSettingException("busTlsCert", "", "must be set with busTlsCa (a node that trusts peers needs a certificate of its own)");
    }
    if (discovery == Discovery.TCP && host.isEmpty()) {
      throw new InvalidSettingException("host", host, "must be set for tcp discovery");
    }
    if (discovery == Discovery.TCP && members.isEmpty()) {
      throw new InvalidSettingException("members", "", "must list at least one member for tcp discovery");
    }
    if (discovery == Discovery.KUBERNETES && serviceDns.isEmpty()) {
      throw new InvalidSettingException("serviceDns", "", "must name the headless service for kubernetes discovery");
    }
  }

  private static void checkMember(String member) {
    Matcher range = MEMBER_RANGE.matcher(member);
    if (range.matches()) {
      int first = Integer.parseInt(range.group(1));
      int last = Integer.parseInt(range.group(2));
      if (first < 1 || last > 65535 || last < first || last - first >= MAX_PORT_COUNT) {
        throw new InvalidSettingException("members", member, "a port range must be first-last within 1-65535, at most " + MAX_PORT_COUNT + " ports");
      }
    }
  }

  /** Hazelcast's side only: the bus on any free port, in plaintext. */
  public ClusterOptions(String name, String host, int port, int portCount, List<String> members, Discovery discovery,
                        String serviceDns, Backups backups) {
    this(name, host, port, portCount, members, discovery, serviceDns, backups, DEFAULT_BUS_PORT, "", "", "");
  }

  public ClusterOptions() {
    this(DEFAULT_NAME, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_PORT_COUNT, DEFAULT_MEMBERS, DEFAULT_DISCOVERY, "", DEFAULT_BACKUPS);
  }

  /** Whether the event bus between nodes runs over TLS. */
  public boolean busTls() {
    return !busTlsCert.isEmpty();
  }

  /** These options with the event bus over TLS: for tests, and for nodes built in code. */
  public ClusterOptions withBusTls(String cert, String key, String ca) {
    return new ClusterOptions(name, host, port, portCount, members, discovery, serviceDns, backups, busPort, cert, key, ca);
  }

  public static ClusterOptions fromJson(JsonObject json) {
    return SCHEMA.fromJson(json);
  }

  public JsonObject toJson() {
    return SCHEMA.toJson(this);
  }
}
