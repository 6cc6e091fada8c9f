package dev.switchboard.shared;

import io.vertx.core.Deployable;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MetricsDomain;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Everything the launcher needs to know about a service: its name (which is also its section in
 * the configuration and its environment prefix, {@code SWITCHBOARD_<NAME>_}), its options with
 * their defaults and one-line descriptions, and how to make its verticle instances.
 *
 * @param name         lower-case service name, e.g. {@code echo}
 * @param defaults     the options with every default, as {@code fromJson} of an empty object gives
 * @param fromJson     reads and validates the service's configuration section
 * @param descriptions one line per option key, shown by {@code --help}
 * @param verticles    makes the supplier of verticle instances, called once per process
 * @param quietMetrics  Vert.x metrics the service does not collect, because it measures the same
 *                      thing itself more cheaply (the gateway's per-request HTTP metrics)
 * @param <O>          the options record
 */
public record ServiceDefinition<O extends ServiceOptions>(
  String name,
  O defaults,
  Function<JsonObject, O> fromJson,
  Map<String, String> descriptions,
  VerticleFactory<O> verticles,
  Set<MetricsDomain> quietMetrics) {

  /** A service that collects every Vert.x metric. */
  public ServiceDefinition(String name, O defaults, Function<JsonObject, O> fromJson, Map<String, String> descriptions,
                           VerticleFactory<O> verticles) {
    this(name, defaults, fromJson, descriptions, verticles, Set.of());
  }

  public ServiceDefinition {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(defaults, "defaults");
    Objects.requireNonNull(fromJson, "fromJson");
    Objects.requireNonNull(verticles, "verticles");
    descriptions = Map.copyOf(descriptions);
    quietMetrics = Set.copyOf(quietMetrics);
  }

  /**
   * Makes the verticle instances of one process. It is called once, so state shared by all
   * instances (a connection limit, counters) can be created here and captured by the supplier.
   */
  @FunctionalInterface
  public interface VerticleFactory<O> {

    Supplier<? extends Deployable> create(O options, ServiceRuntime runtime);
  }
}
