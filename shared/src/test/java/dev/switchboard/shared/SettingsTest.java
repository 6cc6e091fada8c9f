package dev.switchboard.shared;

import dev.switchboard.shared.cluster.ClusterOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettingsTest {

  @Test
  void readsStringsFromEnvironmentAsTypedValues() {
    ClusterOptions options = ClusterOptions.fromJson(new JsonObject()
      .put("port", "5801")
      .put("portCount", 3)
      .put("members", "10.0.0.1:5701, 10.0.0.2")
      .put("discovery", "TCP"));
    assertEquals(5801, options.port());
    assertEquals(3, options.portCount());
    assertEquals(List.of("10.0.0.1:5701", "10.0.0.2"), options.members());
  }

  @Test
  void readsListsFromJsonArrays() {
    ClusterOptions options = ClusterOptions.fromJson(new JsonObject().put("members", new JsonArray().add("a").add("b:1")));
    assertEquals(List.of("a", "b:1"), options.members());
  }

  @Test
  void rejectsPortOutOfRangeNamingTheSetting() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
      () -> ClusterOptions.fromJson(new JsonObject().put("port", 70000)));
    assertEquals("cluster.port", e.key());
    assertEquals("cluster.port = 70000: must be an integer from 0 to 65535", e.getMessage());
  }

  @Test
  void rejectsValueOfWrongShapeNamingTheSetting() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
      () -> ClusterOptions.fromJson(new JsonObject().put("port", "five")));
    assertEquals("cluster.port", e.key());
    assertTrue(e.getMessage().contains("must be an integer"), e.getMessage());
  }

  @Test
  void rejectsUnknownChoiceListingTheAllowedOnes() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
      () -> ClusterOptions.fromJson(new JsonObject().put("discovery", "multicast")));
    assertEquals("cluster.discovery = multicast: must be one of tcp, kubernetes", e.getMessage());
  }

  @Test
  void rejectsMisspeltKey() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
      () -> ClusterOptions.fromJson(new JsonObject().put("prot", 1)));
    assertEquals("cluster.prot", e.key());
    assertTrue(e.getMessage().contains("is not a setting of cluster"), e.getMessage());
  }

  @Test
  void requiresServiceDnsForKubernetesDiscovery() {
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
      () -> ClusterOptions.fromJson(new JsonObject().put("discovery", "kubernetes")));
    assertEquals("cluster.serviceDns", e.key());
  }

  @Test
  void parsesAndFormatsDurations() {
    ShutdownOptions options = ShutdownOptions.fromJson(new JsonObject().put("grace", "1500ms"));
    assertEquals(Duration.ofMillis(1500), options.grace());
    assertEquals("1500ms", options.toJson().getString("grace"));
    assertEquals(Duration.ofSeconds(7), ShutdownOptions.fromJson(new JsonObject().put("grace", 7)).grace());
    assertEquals(Duration.ofMinutes(2), ShutdownOptions.fromJson(new JsonObject().put("grace", "2m")).grace());
    assertThrows(InvalidSettingException.class, () -> ShutdownOptions.fromJson(new JsonObject().put("grace", "soon")));
    assertThrows(InvalidSettingException.class, () -> ShutdownOptions.fromJson(new JsonObject().put("grace", "11m")));
  }

  @Test
  void parsesAndFormatsSizes() {
    assertEquals(512, Settings.parseSize("512"));
    assertEquals(64 * 1024, Settings.parseSize("64k"));
    assertEquals(10L << 20, Settings.parseSize(" 10M "));
    assertEquals(4L << 30, Settings.parseSize("4g"));
    assertEquals(-1, Settings.parseSize("ten"));
    assertEquals(-1, Settings.parseSize("-5"));
    assertEquals(-1, Settings.parseSize("99999999999g"));
    assertEquals("4g", Settings.formatSize(4L << 30));
    assertEquals("1536k", Settings.formatSize(1536 * 1024));
    assertEquals("1000", Settings.formatSize(1000));
    Settings s = Settings.of("t", new JsonObject().put("a", "2m").put("b", "lots"));
    assertEquals(2L << 20, s.size("a", 0));
    assertEquals(7, s.size("c", 7));
    assertThrows(InvalidSettingException.class, () -> s.size("b", 0));
  }

  @Test
  void roundTripsOptionsThroughJson() {
    ClusterOptions defaults = new ClusterOptions();
    assertEquals(defaults, ClusterOptions.fromJson(defaults.toJson()));
    ShutdownOptions grace = new ShutdownOptions();
    assertEquals(grace, ShutdownOptions.fromJson(grace.toJson()));
  }
}
