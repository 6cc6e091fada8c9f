package dev.switchboard.shared.cluster;

import dev.switchboard.shared.InvalidSettingException;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventBusConfigsTest {

  @TempDir
  Path dir;

  @Test
  void busIsPlainOnAnyFreePortByDefault() {
    EventBusOptions bus = EventBusConfigs.configure(new EventBusOptions().setHost("127.0.0.1"), new ClusterOptions());
    assertFalse(bus.isSsl());
    assertEquals(0, bus.getPort());
    assertEquals("127.0.0.1", bus.getHost());
  }

  @Test
  void fixedBusPortIsApplied() {
    ClusterOptions options = ClusterOptions.fromJson(new JsonObject().put("busPort", 5710));
    assertEquals(5710, EventBusConfigs.configure(new EventBusOptions(), options).getPort());
  }

  @Test
  void tlsTrustsTheClusterCertificateAloneAndRequiresOneFromClients() throws Exception {
    Path cert = Files.writeString(dir.resolve("tls.crt"), "not parsed here");
    Path key = Files.writeString(dir.resolve("tls.key"), "not parsed here");
    ClusterOptions options = ClusterOptions.fromJson(new JsonObject()
      .put("busTlsCert", cert.toString()).put("busTlsKey", key.toString()));
    EventBusOptions bus = EventBusConfigs.configure(new EventBusOptions(), options);
    assertTrue(bus.isSsl());
    assertEquals(ClientAuth.REQUIRED, bus.getClientAuth());
    assertFalse(bus.isTrustAll(), "EventBusOptions trusts every server by default");
    assertEquals(Set.of("TLSv1.3"), bus.getEnabledSecureTransportProtocols());
    assertEquals(List.of(cert.toString()), ((PemKeyCertOptions) bus.getKeyCertOptions()).getCertPaths());
    assertEquals(List.of(key.toString()), ((PemKeyCertOptions) bus.getKeyCertOptions()).getKeyPaths());
    assertEquals(List.of(cert.toString()), ((PemTrustOptions) bus.getTrustOptions()).getCertPaths());
  }

  @Test
  void tlsTrustsTheCaWhenOneIsNamed() throws Exception {
    Path cert = Files.writeString(dir.resolve("tls.crt"), "");
    Path key = Files.writeString(dir.resolve("tls.key"), "");
    Path ca = Files.writeString(dir.resolve("ca.crt"), "");
    ClusterOptions options = new ClusterOptions().withBusTls(cert.toString(), key.toString(), ca.toString());
    EventBusOptions bus = EventBusConfigs.configure(new EventBusOptions(), options);
    assertEquals(List.of(ca.toString()), ((PemTrustOptions) bus.getTrustOptions()).getCertPaths());
  }

  @Test
  void rejectsHalfATlsSetting() {
    InvalidSettingException noKey = assertThrows(InvalidSettingException.class,
      () -> ClusterOptions.fromJson(new JsonObject().put("busTlsCert", "/x/tls.crt")));
    assertEquals("cluster.busTlsKey", noKey.key());
    InvalidSettingException noCert = assertThrows(InvalidSettingException.class,
      () -> ClusterOptions.fromJson(new JsonObject().put("busTlsCa", "/x/ca.crt")));
    assertEquals("cluster.busTlsCert", noCert.key());
    assertThrows(InvalidSettingException.class, () -> ClusterOptions.fromJson(new JsonObject().put("busPort", 70000)));
  }

  @Test
  void missingFileIsASettingError() throws Exception {
    Path key = Files.writeString(dir.resolve("tls.key"), "");
    ClusterOptions options = new ClusterOptions().withBusTls(dir.resolve("nope.crt").toString(), key.toString(), "");
    InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> EventBusConfigs.checkFiles(options));
    assertEquals("cluster.busTlsCert", e.key());
    assertThrows(InvalidSettingException.class, () -> EventBusConfigs.configure(new EventBusOptions(), options));
  }

  @Test
  void settingsRoundTripWithPathsOnly() {
    ClusterOptions options = new ClusterOptions().withBusTls("/etc/c/tls.crt", "/etc/c/tls.key", "/etc/c/ca.crt");
    assertEquals(options, ClusterOptions.fromJson(options.toJson()));
    assertEquals("/etc/c/tls.key", options.toJson().getString("busTlsKey"));
  }
}
