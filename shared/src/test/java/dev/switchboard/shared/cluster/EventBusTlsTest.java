package dev.switchboard.shared.cluster;

import dev.switchboard.shared.testkit.TestCertificate;
import dev.switchboard.shared.testkit.TestCluster;
import dev.switchboard.shared.testkit.TestKit;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The event bus between nodes over TLS with a cluster certificate, on real sockets on loopback:
 * four members of one Hazelcast cluster, two with the cluster certificate, one without TLS, and
 * one with a certificate of its own that trusts the cluster certificate (a stranger who copied the
 * public certificate but not its key). Hazelcast lets all four in; the bus must not.
 */
class EventBusTlsTest {

  private static final int TLS = 0;
  /** Also TLS, naming the cluster certificate as its CA explicitly (busTlsCa). */
  private static final int TLS_WITH_CA = 1;
  private static final int PLAIN = 2;
  private static final int STRANGER = 3;

  private static final long WAIT_SECONDS = 30;
  /**
   * How long a refused request is given. A refused bus connection does not fail the request (Vert.x
   * fails a request early only for a missing consumer), so it ends in this timeout; the same request
   * between nodes that trust each other is answered in milliseconds.
   */
  private static final long REFUSED_TIMEOUT_MS = 4000;

  @TempDir
  static Path dir;
  private static TestCertificate clusterCert;
  private static TestCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    clusterCert = TestCertificate.create(dir, "cluster");
    TestCertificate strangerCert = TestCertificate.create(dir, "stranger");
    String cert = clusterCert.cert().toString();
    String key = clusterCert.key().toString();
    List<UnaryOperator<ClusterOptions>> members = List.of(
      o -> o.withBusTls(cert, key, ""),
      o -> o.withBusTls(cert, key, cert),
      UnaryOperator.identity(),
      o -> o.withBusTls(strangerCert.cert().toString(), strangerCert.key().toString(), cert));
    cluster = TestCluster.started(members);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      TestKit.await(cluster.close(), Duration.ofSeconds(60));
    }
  }

  @Test
  void nodesWithTheClusterCertificateExchangeRequestsAndPublishes() throws Exception {
    Vertx a = cluster.node(TLS);
    Vertx b = cluster.node(TLS_WITH_CA);
    Promise<String> published = Promise.promise();
    MessageConsumer<String> echo = a.eventBus().consumer("tls.echo", m -> m.reply("echo " + m.body()));
    MessageConsumer<String> news = a.eventBus().consumer("tls.news", m -> published.tryComplete(m.body()));
    try {
      TestKit.await(Future.all(echo.completion(), news.completion()));
      Message<String> reply = TestKit.await(b.eventBus().<String>request("tls.echo", "from b"));
      assertEquals("echo from b", reply.body());
      b.eventBus().publish("tls.news", "news from b");
      assertEquals("news from b", TestKit.await(published.future()));
      // and the other way: a's client to b's server
      MessageConsumer<String> back = b.eventBus().consumer("tls.back", m -> m.reply("back " + m.body()));
      TestKit.await(back.completion());
      assertEquals("back from a", TestKit.await(a.eventBus().<String>request("tls.back", "from a")).body());
      TestKit.await(back.unregister());
    } finally {
      TestKit.await(Future.join(echo.unregister(), news.unregister()));
    }
  }

  @Test
  void busPortSpeaksTlsWithTheClusterCertificateAndWantsOneBack() throws Exception {
    int port = busPort(cluster.node(TLS));
    try (SSLSocket socket = (SSLSocket) clientContext(true).getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
      socket.startHandshake();
      Certificate[] presented = socket.getSession().getPeerCertificates();
      assertArrayEquals(clusterCert.certificate().getEncoded(), presented[0].getEncoded());
      assertEquals("TLSv1.3", socket.getSession().getProtocol());
    }
    // Without a client certificate the server ends the connection (under TLS 1.3 the client's side
    // of the handshake completes first, and the refusal arrives as an alert on the first read).
    try (SSLSocket socket = (SSLSocket) clientContext(false).getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
      IOException refused = assertThrows(IOException.class, () -> {
        socket.startHandshake();
        InputStream in = socket.getInputStream();
        if (in.read() < 0) {
          throw new SSLException("closed without a word");
        }
      });
      assertTrue(!(refused instanceof SocketTimeoutException), "the server neither answered nor refused: " + refused);
    }
  }

  @Test
  void nodeWithoutTlsCannotGetAMessageToANodeWithTls() throws Exception {
    List<String> received = new CopyOnWriteArrayList<>();
    MessageConsumer<String> guarded = cluster.node(TLS).eventBus().consumer("tls.guarded", m -> {
      received.add(m.body());
      m.reply("got it");
    });
    try {
      TestKit.await(guarded.completion());
      assertRefused(cluster.node(PLAIN), "tls.guarded");
      // The consumer is there and answers a node with the certificate; the refused message never came.
      TestKit.await(cluster.node(TLS_WITH_CA).eventBus().request("tls.guarded", "from tls"));
      assertEquals(List.of("from tls"), received);
    } finally {
      TestKit.await(guarded.unregister());
    }
  }

  @Test
  void nodeWithTlsCannotDeliverToANodeWithout() throws Exception {
    List<String> received = new CopyOnWriteArrayList<>();
    Vertx plain = cluster.node(PLAIN);
    MessageConsumer<String> open = plain.eventBus().consumer("plain.inbox", m -> {
      received.add(m.body());
      m.reply("got it");
    });
    try {
      TestKit.await(open.completion());
      assertRefused(cluster.node(TLS), "plain.inbox");
      TestKit.await(plain.eventBus().request("plain.inbox", "local"));
      assertEquals(List.of("local"), received);
    } finally {
      TestKit.await(open.unregister());
    }
  }

  @Test
  void nodeWithAnotherCertificateNeitherReceivesNorSends() throws Exception {
    List<String> strangerGot = new CopyOnWriteArrayList<>();
    List<String> memberGot = new CopyOnWriteArrayList<>();
    Vertx stranger = cluster.node(STRANGER);
    MessageConsumer<String> trap = stranger.eventBus().consumer("stranger.inbox", m -> {
      strangerGot.add(m.body());
      m.reply("got it");
    });
    MessageConsumer<String> inbox = cluster.node(TLS).eventBus().consumer("member.inbox", m -> {
      memberGot.add(m.body());
      m.reply("got it");
    });
    try {
      TestKit.await(Future.all(trap.completion(), inbox.completion()));
      // The member checks the server's certificate: it would hand the message over if it trusted
      // any certificate (EventBusOptions' own default).
      assertRefused(cluster.node(TLS), "stranger.inbox");
      // The member's server wants a client certificate the cluster CA signed.
      assertRefused(stranger, "member.inbox");
      TestKit.await(cluster.node(TLS_WITH_CA).eventBus().request("member.inbox", "from tls"));
      TestKit.await(stranger.eventBus().request("stranger.inbox", "local"));
      assertEquals(List.of("from tls"), memberGot);
      assertEquals(List.of("local"), strangerGot);
    } finally {
      TestKit.await(Future.join(trap.unregister(), inbox.unregister()));
    }
  }

  /**
   * A request from {@code from} to {@code address} gets no answer. It must end in the timeout, not in
   * "no handlers": the consumer is known to the sender through Hazelcast, and only the bus
   * connection between them stands in the way.
   */
  private static void assertRefused(Vertx from, String address) throws Exception {
    Future<Message<String>> request = from.eventBus()
      .request(address, "refused", new DeliveryOptions().setSendTimeout(REFUSED_TIMEOUT_MS));
    ExecutionException failure = assertThrows(ExecutionException.class, () -> TestKit.await(request),
      "a request to " + address + " got through");
    ReplyException reply = assertInstanceOf(ReplyException.class, failure.getCause());
    assertEquals(ReplyFailure.TIMEOUT, reply.failureType(), reply.toString());
  }

  private static int busPort(Vertx node) throws Exception {
    ClusterManager manager = ((VertxInternal) node).clusterManager();
    Promise<NodeInfo> info = Promise.promise();
    manager.getNodeInfo(manager.getNodeId(), info);
    return TestKit.await(info.future()).port();
  }

  /** A TLS client that trusts the cluster certificate alone, presenting it (with its key) or nothing. */
  private static SSLContext clientContext(boolean withCertificate) throws Exception {
    char[] password = "test-only".toCharArray();
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    if (withCertificate) {
      keys.setKeyEntry("cluster", clusterCert.privateKey(), password, new Certificate[] {clusterCert.certificate()});
    }
    KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, password);
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("cluster", clusterCert.certificate());
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keyManagers.getKeyManagers(), trust.getTrustManagers(), null);
    return context;
  }
}
