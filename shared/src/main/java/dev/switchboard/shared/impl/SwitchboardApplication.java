package dev.switchboard.shared.impl;

import com.hazelcast.core.LifecycleEvent;
import dev.switchboard.shared.IngressOptions;
import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.OptionsSchema;
import dev.switchboard.shared.ServiceDefinition;
import dev.switchboard.shared.ServiceOptions;
import dev.switchboard.shared.ServiceRuntime;
import dev.switchboard.shared.Settings;
import dev.switchboard.shared.ShutdownOptions;
import dev.switchboard.shared.auth.AuthOptions;
import dev.switchboard.shared.cluster.ClusterOptions;
import dev.switchboard.shared.cluster.EventBusConfigs;
import dev.switchboard.shared.cluster.HazelcastConfigs;
import dev.switchboard.shared.registry.ServiceRecord;
import dev.switchboard.shared.registry.ServiceRegistry;
import dev.switchboard.shared.ops.Metrics;
import dev.switchboard.shared.ops.MetricsFactory;
import dev.switchboard.shared.tracing.Tracing;
import dev.switchboard.shared.tracing.TracingOptions;
import io.vertx.core.Deployable;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.ExitCodes;
import io.vertx.launcher.application.HookContext;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;
import io.vertx.launcher.application.impl.CommandException;
import io.vertx.launcher.application.impl.VertxApplicationCommand;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import sun.misc.Signal;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The Vert.x launcher with Switchboard's hooks. Command-line parsing stays the launcher's own
 * (picocli); this class reads the parsed {@code -conf}, {@code -cluster} and {@code -instances}
 * values from the same command specification, loads and validates the configuration before
 * Vert.x starts (clustering depends on it), and owns the process lifecycle after deployment.
 */
public final class SwitchboardApplication<O extends ServiceOptions> extends VertxApplication implements VertxApplicationHooks {

  private static final Logger log = LoggerFactory.getLogger(SwitchboardApplication.class);
  /** Reading the configuration touches only local files; longer means something is badly wrong. */
  private static final long CONFIG_TIMEOUT_SECONDS = 30;
  /** Time allowed, beyond the grace period, for leaving the cluster and closing Vert.x. */
  private static final Duration CLOSE_MARGIN = Duration.ofSeconds(15);
  /** How long draining waits for the registry to drop this process before it stops anyway. */
  private static final Duration WITHDRAW_TIMEOUT = Duration.ofSeconds(2);

  private static final int USAGE_WIDTH = 110;
  /** The sections every service has besides its own, in the order {@code --help} lists them. */
  private static final List<OptionsSchema<?>> COMMON_SECTIONS = List.of(
    ClusterOptions.SCHEMA, ShutdownOptions.SCHEMA, IngressOptions.SCHEMA, AuthOptions.SCHEMA, TracingOptions.SCHEMA);

  private final ServiceDefinition<O> service;
  private final CommandLine.ParseResult parsed;
  private final AtomicBoolean stopping = new AtomicBoolean();

  private O options;
  private ClusterOptions cluster;
  private ShutdownOptions shutdown;
  private IngressOptions ingress;
  private AuthOptions auth;
  private TracingOptions tracing;
  private HazelcastClusterManager clusterManager;
  private ServiceRuntime runtime;
  /** This process in the cluster's service registry, once announced. */
  private volatile ServiceRecord announced;

  public SwitchboardApplication(String[] args, ServiceDefinition<O> service) {
    super(args, null, false, true);
    this.service = service;
    this.parsed = preParse(args);
  }

  @Override
  public int launch() {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    if (parsed != null && parsed.isUsageHelpRequested()) {
      printHelp(System.out);
      return 0;
    }
    return super.launch();
  }

  // ---- launcher hooks, in the order the launcher calls them

  @Override
  public JsonObject afterVertxOptionsParsed(JsonObject vertxOptions) {
    JsonObject json = vertxOptions == null ? new JsonObject() : vertxOptions;
    if (!json.containsKey("metricsOptions")) {
      json.put("metricsOptions", Metrics.json(service.quietMetrics()));
    }
    if (!json.containsKey("preferNativeTransport")) {
      json.put("preferNativeTransport", true);
    }
    return json;
  }

  @Override
  public JsonObject afterDeploymentOptionsParsed(JsonObject deploymentOptions) {
    JsonObject json = deploymentOptions == null ? new JsonObject() : deploymentOptions;
    // Like Node's cluster module with one worker per core; -instances still takes precedence.
    if (!json.containsKey("instances")) {
      json.put("instances", Runtime.getRuntime().availableProcessors());
    }
    return json;
  }

  @Override
  public JsonObject afterConfigParsed(JsonObject ignored) {
    String conf = parsed == null ? null : parsed.matchedOptionValue("-conf", (String) null);
    JsonObject config = loadConfig(conf);
    try {
      cluster = ClusterOptions.fromJson(section(config, ClusterOptions.SECTION));
      if (isClustered()) {
        EventBusConfigs.checkFiles(cluster);
      }
      shutdown = ShutdownOptions.fromJson(section(config, ShutdownOptions.SECTION));
      ingress = IngressOptions.fromJson(section(config, IngressOptions.SECTION));
      auth = AuthOptions.fromJson(section(config, AuthOptions.SECTION));
      tracing = TracingOptions.fromJson(section(config, TracingOptions.SECTION));
      options = service.options().fromJson(section(config, service.name()));
    } catch (InvalidSettingException e) {
      String[] parts = e.key().split("\\.", 2);
      String names = parts.length == 2
        ? " (env " + ConfigLoader.envName(parts[0], parts[1]) + ", property " + ConfigLoader.propertyName(parts[0], parts[1]) + ")"
        : "";
      exitWithUsageError("invalid setting " + e.getMessage() + names);
    }
    JsonObject effective = new JsonObject()
      .put(service.name(), options.toJson())
      .put(ClusterOptions.SECTION, cluster.toJson())
      .put(ShutdownOptions.SECTION, shutdown.toJson())
      .put(IngressOptions.SECTION, ingress.toJson())
      .put(AuthOptions.SECTION, auth.toJson())
      .put(TracingOptions.SECTION, tracing.toJson());
    log.info("{} settings: {}", service.name(), effective.encode());
    // The verticles get their options from the factory, not from config(). Vert.x 5.0.8 copies a
    // deployment's config into every context it makes, and its HTTP client makes one per request:
    // an empty config keeps that copy cheap.
    return new JsonObject();
  }

  @Override
  public VertxBuilder createVertxBuilder(VertxOptions vertxOptions) {
    VertxBuilder builder = Tracing.install(Vertx.builder().with(vertxOptions), tracing, service.name());
    if (vertxOptions.getMetricsOptions() != null && vertxOptions.getMetricsOptions().isEnabled()) {
      builder.withMetrics(new MetricsFactory());
    }
    if (isClustered()) {
      clusterManager = new HazelcastClusterManager(HazelcastConfigs.create(cluster));
      // In place: the launcher applies -cluster-host and -cluster-port to these same options afterwards.
      EventBusConfigs.configure(vertxOptions.getEventBusOptions(), cluster);
      builder.withClusterManager(clusterManager);
    }
    return builder;
  }

  @Override
  public void afterVertxStarted(HookContext context) {
    runtime = ServiceRuntime.create(service.name(), shutdown.grace(), ingress, auth);
    installSignalHandlers(context.vertx());
  }

  @Override
  public Supplier<? extends Deployable> verticleSupplier() {
    return service.verticles().create(options, runtime);
  }

  @Override
  public void afterVerticleDeployed(HookContext context) {
    runtime.serving();
    String endpoints = runtime.endpoints().entrySet().stream()
      .map(e -> e.getKey() + "=" + e.getValue())
      .collect(Collectors.joining(" "));
    String mode = clusterManager == null
      ? "standalone"
      : "cluster " + cluster.name() + " as " + clusterManager.getHazelcastInstance().getCluster().getLocalMember().getAddress()
        + " (" + clusterManager.getNodes().size() + " members)";
    log.info("{} up: {} instances={} {}", service.name(), endpoints, context.deploymentOptions().getInstances(), mode);
    ServiceRegistry.announce(context.vertx(), runtime)
      .onSuccess(record -> {
        announced = record;
        log.debug("announced {}", record.toJson().encode());
        if (clusterManager != null) {
          // A partition that heals merges this member back; the others forgot its record meanwhile.
          clusterManager.getHazelcastInstance().getLifecycleService().addLifecycleListener(event -> {
            if (event.getState() == LifecycleEvent.LifecycleState.MERGED && !stopping.get()) {
              log.info("{} merged back into the cluster: announcing itself again", service.name());
              ServiceRegistry.reannounce(context.vertx(), record)
                .onFailure(e -> log.warn("{} could not announce itself again: {}", service.name(), e.toString()));
            }
          });
        }
      })
      .onFailure(e -> log.warn("{} could not announce itself in the service registry: {}", service.name(), e.toString()));
  }

  @Override
  public void beforeStoppingVertx(HookContext context) {
    if (runtime != null) {
      runtime.draining();
    }
  }

  // ---- lifecycle

  private void installSignalHandlers(Vertx vertx) {
    for (String name : List.of("TERM", "INT")) {
      try {
        Signal.handle(new Signal(name), signal -> shutdown(vertx, "SIG" + signal.getName()));
      } catch (IllegalArgumentException e) {
        log.debug("cannot handle SIG{} here; the JVM's default applies", name);
      }
    }
  }

  /**
   * Stops accepting, lets in-flight work finish within the grace period (each verticle's
   * {@code stop()} shuts its servers down with it), leaves the cluster, and exits 0. A second
   * signal while draining exits at once.
   */
  private void shutdown(Vertx vertx, String reason) {
    if (!stopping.compareAndSet(false, true)) {
      log.warn("{} received again while draining: exiting now", reason);
      Runtime.getRuntime().halt(ExitCodes.SOFTWARE);
      return;
    }
    log.info("{} received: draining for up to {}", reason, Settings.format(shutdown.grace()));
    runtime.draining();
    Thread closer = new Thread(() -> {
      int code = 0;
      try {
        ServiceRecord record = announced;
        if (record != null) {
          // Readers stop sending new work before the servers stop accepting it.
          try {
            ServiceRegistry.withdraw(vertx, record).toCompletionStage().toCompletableFuture()
              .get(WITHDRAW_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          } catch (ExecutionException | TimeoutException e) {
            log.warn("{} could not withdraw from the service registry: {}", service.name(), e.toString());
          }
        }
        vertx.close().toCompletionStage().toCompletableFuture()
          .get(shutdown.grace().plus(CLOSE_MARGIN).toMillis(), TimeUnit.MILLISECONDS);
        log.info("{} stopped", service.name());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        code = ExitCodes.SOFTWARE;
      } catch (Exception e) {
        log.error("{} did not stop cleanly", service.name(), e);
        code = ExitCodes.SOFTWARE;
      }
      System.exit(code);
    }, "switchboard-shutdown");
    closer.start();
  }

  // ---- configuration

  private JsonObject loadConfig(String conf) {
    Map<String, Set<String>> known = new LinkedHashMap<>();
    for (OptionsSchema<?> common : COMMON_SECTIONS) {
      known.put(common.section(), common.names());
    }
    known.put(service.name(), service.options().names());
    // vertx-config needs a Vert.x instance, and the real one cannot exist before the cluster settings are known.
    Vertx reader;
    try {
      reader = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1).setInternalBlockingPoolSize(1));
    } catch (RuntimeException e) {
      // Typically an unwritable cache directory (java.io.tmpdir, vertx.cacheDirBase): say so, once.
      System.err.println(service.name() + ": cannot start Vert.x: " + e.getMessage());
      throw new CommandException(ExitCodes.SOFTWARE);
    }
    try {
      return new ConfigLoader(reader).load(conf, known).toCompletionStage().toCompletableFuture()
        .get(CONFIG_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommandException(ExitCodes.SOFTWARE);
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      exitWithUsageError(cause.getMessage());
      return null;
    } finally {
      reader.close();
    }
  }

  private static JsonObject section(JsonObject config, String name) {
    Object value = config.getValue(name);
    if (value == null) {
      return new JsonObject();
    }
    if (value instanceof JsonObject json) {
      return json;
    }
    throw new InvalidSettingException(name, value, "must be an object of settings");
  }

  /**
   * A usage error is the command line's answer to the user, like picocli's own, so it goes to
   * stderr as one plain line rather than through the logger (whose format and level are for
   * operations, and which may be configured away).
   */
  private void exitWithUsageError(String message) {
    System.err.println(service.name() + ": " + message);
    throw new CommandException(ExitCodes.USAGE);
  }

  private boolean isClustered() {
    return parsed != null && parsed.hasMatchedOption("-cluster");
  }

  // ---- command line

  private static CommandLine commandLine() {
    return new CommandLine(new VertxApplicationCommand(null, VertxApplicationHooks.DEFAULT, null))
      .setOptionsCaseInsensitive(true);
  }

  /** The launcher's own parse of the arguments, or null when they do not parse (the launcher reports that). */
  private static CommandLine.ParseResult preParse(String[] args) {
    try {
      return commandLine().parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      return null;
    }
  }

  private void printHelp(PrintStream out) {
    String jar = "switchboard-" + service.name() + ".jar";
    CommandLine cli = commandLine();
    CommandLine.Model.CommandSpec spec = cli.getCommandSpec();
    spec.name("java [-Dswitchboard.SECTION.KEY=VALUE ...] -jar " + jar);
    spec.usageMessage().abbreviateSynopsis(true).width(USAGE_WIDTH);
    spec.usageMessage().description("Runs the Switchboard " + service.name() + " service. Without -instances it deploys one instance per core ("
      + Runtime.getRuntime().availableProcessors() + " here), sharing the service's ports.");
    new ArrayList<>(spec.positionalParameters()).forEach(spec::remove);
    cli.usage(out, CommandLine.Help.Ansi.OFF);

    out.println();
    out.println("Settings (defaults < -conf FILE (JSON or YAML) < environment < -Dproperty):");
    Map<String, Map<String, String>> rows = new LinkedHashMap<>();
    rows.put(service.name(), describe(service.options()));
    for (OptionsSchema<?> common : COMMON_SECTIONS) {
      rows.put(common.section(), describe(common));
    }
    rows.forEach((section, settings) -> settings.forEach((key, line) -> {
      out.printf("  %-24s %-34s %s%n", section + "." + key, ConfigLoader.envName(section, key), line);
    }));
    out.println();
    out.println("Example: java -D" + ConfigLoader.propertyName(service.name(), "port") + "=0 -jar " + jar + " -conf switchboard.yaml");
  }

  private static <R> Map<String, String> describe(OptionsSchema<R> schema) {
    JsonObject defaults = schema.toJson(schema.defaults());
    Map<String, String> descriptions = schema.descriptions();
    Map<String, String> rows = new TreeMap<>();
    for (String key : defaults.fieldNames()) {
      Object value = defaults.getValue(key);
      String shown = value instanceof JsonArray array
        ? array.stream().map(String::valueOf).collect(Collectors.joining(","))
        : String.valueOf(value);
      rows.put(key, "[default: " + (shown.isEmpty() ? "none" : shown) + "] " + descriptions.getOrDefault(key, ""));
    }
    return rows;
  }
}
