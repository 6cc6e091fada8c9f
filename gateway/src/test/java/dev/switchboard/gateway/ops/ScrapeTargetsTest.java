package dev.switchboard.gateway.ops;

import dev.switchboard.shared.registry.ServiceRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The target groups made from registry records, without a server. */
class ScrapeTargetsTest {

  @Test
  void prefersTheAdminPortAndFallsBackToTheHttpPort() {
    JsonArray groups = ScrapeTargets.of(List.of(
      new ServiceRecord("b", "gateway", "n1", "10.0.0.4", Map.of("http", 8080, "admin", 8081, "tcp-echo", 8999)),
      new ServiceRecord("a", "files", "n2", "10.0.0.5", Map.of("http", 3001))));
    assertEquals(List.of("10.0.0.5:3001", "10.0.0.4:8081"), targets(groups));
  }

  @Test
  void leavesOutAProcessWithoutAnHttpEndpoint() {
    JsonArray groups = ScrapeTargets.of(List.of(
      new ServiceRecord("a", "echo", "n1", "10.0.0.4", Map.of("tcp", 9999)),
      new ServiceRecord("b", "echo", "n2", "10.0.0.5", Map.of("tcp", 9999, "admin", 9998))));
    assertEquals(List.of("10.0.0.5:9998"), targets(groups));
  }

  @Test
  void bracketsAnIpv6HostOnce() {
    JsonArray groups = ScrapeTargets.of(List.of(
      new ServiceRecord("a", "http", "n1", "fd00::5", Map.of("http", 3000)),
      new ServiceRecord("b", "http", "n2", "[fd00::6]", Map.of("http", 3000))));
    assertEquals(List.of("[fd00::5]:3000", "[fd00::6]:3000"), targets(groups));
  }

  @Test
  void ordersByServiceThenRecordAndLabelsEachGroup() {
    JsonArray groups = ScrapeTargets.of(List.of(
      new ServiceRecord("z", "http", "n3", "10.0.0.6", Map.of("http", 3000)),
      new ServiceRecord("y", "chat", "n2", "10.0.0.5", Map.of("http", 3002)),
      new ServiceRecord("x", "http", "n1", "10.0.0.4", Map.of("http", 3000))));
    assertEquals(List.of("10.0.0.5:3002", "10.0.0.4:3000", "10.0.0.6:3000"), targets(groups));
    assertEquals(new JsonObject().put("service", "http").put("node", "n1").put("__metrics_path__", "/metrics"),
      groups.getJsonObject(1).getJsonObject("labels"));
  }

  @Test
  void anEmptyRegistryIsAnEmptyList() {
    assertEquals(new JsonArray(), ScrapeTargets.of(List.of()));
  }

  private static List<String> targets(JsonArray groups) {
    return groups.stream().map(g -> {
      JsonArray targets = ((JsonObject) g).getJsonArray("targets");
      assertEquals(1, targets.size(), groups.encode());
      return targets.getString(0);
    }).toList();
  }
}
