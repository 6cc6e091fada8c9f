package dev.switchboard.shared;

import io.vertx.core.Deployable;
import io.vertx.micrometer.MetricsDomain;

import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Everything the launcher needs to know about a service: its options, declared once in an
 * {@link OptionsSchema} whose section is the service's name (which is also its environment prefix,
 * {@code SWITCHBOARD_<NAME>_}), and how to make its verticle instances. The schema gives the
 * defaults, reading and checking the configuration, and one line per key for {@code --help}.
 *
 * @param options      the service's options, e.g. {@code EchoOptions.SCHEMA}
 * @param verticles    makes the supplier of verticle instances, called once per process
 * @param quietMetrics  Vert.x metrics the service does not collect, because it measures the same
 *                      thing itself more cheaply (the gateway's per-request HTTP metrics)
 * @param <O>          the options record
 */
public record ServiceDefinition<O extends ServiceOptions>(
  OptionsSchema<O> options,
  VerticleFactory<O> verticles,
  Set<MetricsDomain> quietMetrics) {

  /** A service that collects every Vert.x metric. */
  public ServiceDefinition(OptionsSchema<O> options, VerticleFactory<O> verticles) {
    this(options, verticles, Set.of());
  }

  public ServiceDefinition {
    Objects.requireNonNull(options, "options").section(); // a schema nested in another's section has none: refused here
    Objects.requireNonNull(verticles, "verticles");
    quietMetrics = Set.copyOf(quietMetrics);
  }

  /** Lower-case service name, e.g. {@code echo}: its options' section. */
  public String name() {
    return options.section();
  }

  /** The options with every default, as {@code fromJson} of an empty object gives. */
  public O defaults() {
    return options.defaults();
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
