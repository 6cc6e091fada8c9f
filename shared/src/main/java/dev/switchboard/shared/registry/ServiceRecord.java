package dev.switchboard.shared.registry;

import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One service process as the cluster knows it.
 *
 * @param id      unique per process start
 * @param service the service's name ({@code http}, {@code echo}, ...)
 * @param node    the Vert.x cluster node the process runs as; its record goes when the node goes
 * @param host    the address other machines reach the process at
 * @param ports   its listening ports by endpoint name ({@code http}, {@code tcp}, {@code admin}, ...)
 */
public record ServiceRecord(String id, String service, String node, String host, Map<String, Integer> ports) {

  /** The endpoint whose {@code /health} and {@code /ready} tell the process's state. */
  private static final String ADMIN = "admin";
  private static final String HTTP = "http";

  public ServiceRecord {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(host, "host");
    ports = Map.copyOf(ports);
  }

  /** Where the endpoint listens, if the process has it. */
  public Optional<SocketAddress> address(String endpoint) {
    Integer port = ports.get(endpoint);
    return port == null ? Optional.empty() : Optional.of(SocketAddress.inetSocketAddress(port, host));
  }

  /** The HTTP endpoint that serves {@code /ready}: the admin port if there is one, else the HTTP port. */
  public Optional<SocketAddress> opsAddress() {
    return address(ADMIN).or(() -> address(HTTP));
  }

  public JsonObject toJson() {
    return new JsonObject()
      .put("id", id)
      .put("service", service)
      .put("node", node)
      .put("host", host)
      .put("ports", new JsonObject(Map.copyOf(new TreeMap<>(ports))));
  }

  public static ServiceRecord fromJson(JsonObject json) {
    Map<String, Integer> ports = new TreeMap<>();
    JsonObject p = json.getJsonObject("ports", new JsonObject());
    for (String name : p.fieldNames()) {
      ports.put(name, p.getInteger(name));
    }
    return new ServiceRecord(json.getString("id"), json.getString("service"), json.getString("node"),
      json.getString("host"), ports);
  }
}
