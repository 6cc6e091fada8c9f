package dev.switchboard.shared.cluster;

import dev.switchboard.shared.InvalidSettingException;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Sets up the clustered event bus, the node-to-node TCP connections that carry every message
 * between processes, from {@link ClusterOptions}: its port, and TLS with the cluster certificate.
 * The launcher and the tests go through {@link #configure} alike.
 *
 * <h2>How a peer is verified</h2>
 * With {@code busTlsCert} set, every bus connection is TLS 1.3 and both ends present a certificate:
 * a node's server requires a client certificate ({@link ClientAuth#REQUIRED}) and its client checks
 * the server's, each against {@code busTlsCa} (by default the cluster certificate itself). A node
 * without a certificate the CA signed can neither send to nor receive from the others: its
 * handshake fails before a message frame is read, in either direction.
 * <p>
 * Host names are not verified. Nodes reach each other at the IP address each one published in the
 * cluster (a pod IP, new with every pod), and Vert.x 5.0.8's clustered event bus turns hostname
 * verification off on its client whatever the options say ({@code ClusteredEventBus} builds its
 * {@code NetClientOptions} with an empty verification algorithm). That is sound here because the
 * question a bus connection asks is not "is this the host named X" but "is this a node of our
 * cluster", and holding the key of a certificate that chains to the cluster CA is exactly that.
 * It follows that the CA must sign cluster certificates and nothing else: any certificate it
 * signed is a member. And the trust must be explicit: {@link EventBusOptions} trusts every server
 * certificate by default ({@code trustAll}), which would let a node without the key receive
 * messages; it is turned off here.
 * <p>
 * What TLS on the bus does not cover: Hazelcast's own member protocol (membership, the
 * subscription map that says which node has a consumer for an address, the cluster's maps) stays
 * plaintext, as TLS for members is in Hazelcast's Enterprise edition only; the network must keep
 * strangers away from the member port (deploy/README.md, NetworkPolicies).
 */
public final class EventBusConfigs {

  /** Every node is ours and runs the same JVM: no reason to accept an older protocol. */
  static final Set<String> PROTOCOLS = Set.of("TLSv1.3");

  private EventBusConfigs() {
  }

  /**
   * Applies the bus settings of {@code options} to {@code bus} (which may carry a host or port
   * given elsewhere) and returns it: the port, when one is fixed, and TLS, when a certificate is
   * set. Fails with an {@link InvalidSettingException} naming the setting when a certificate, key
   * or CA file cannot be read.
   */
  public static EventBusOptions configure(EventBusOptions bus, ClusterOptions options) {
    if (options.busPort() != ClusterOptions.DEFAULT_BUS_PORT) {
      bus.setPort(options.busPort());
    }
    if (!options.busTls()) {
      return bus;
    }
    checkFiles(options);
    String trust = options.busTlsCa().isEmpty() ? options.busTlsCert() : options.busTlsCa();
    return bus
      .setSsl(true)
      .setEnabledSecureTransportProtocols(PROTOCOLS)
      .setKeyCertOptions(new PemKeyCertOptions().setCertPath(options.busTlsCert()).setKeyPath(options.busTlsKey()))
      .setTrustOptions(new PemTrustOptions().addCertPath(trust))
      .setTrustAll(false)
      .setClientAuth(ClientAuth.REQUIRED);
  }

  /**
   * Fails with an {@link InvalidSettingException} naming the setting when a file that the bus's TLS
   * needs cannot be read, so that a process stops with a usage error before it joins the cluster.
   */
  public static void checkFiles(ClusterOptions options) {
    if (!options.busTls()) {
      return;
    }
    readable("busTlsCert", options.busTlsCert());
    readable("busTlsKey", options.busTlsKey());
    if (!options.busTlsCa().isEmpty()) {
      readable("busTlsCa", options.busTlsCa());
    }
  }

  private static void readable(String key, String file) {
    Path path = Path.of(file);
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      throw new InvalidSettingException(ClusterOptions.SECTION + "." + key, file,
        Files.exists(path) ? "must be a readable file" : "no such file");
    }
  }
}
