package dev.switchboard.gateway;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.Require;
import dev.switchboard.shared.ServiceOptions;
import dev.switchboard.shared.Settings;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Options of the gateway; the {@code gateway} section of the configuration.
 *
 * @param host              interface to listen on
 * @param port              HTTP port; 0 picks a free one
 * @param routes            proxied path prefixes, one {@link Route} line each, matched longest first
 * @param healthInterval    how often every node's {@code /ready} is asked
 * @param ejectAfter        consecutive failures (connection, timeout, 5xx) that take a node out
 * @param ejectFor          how long an ejected node gets no traffic before it is tried again
 * @param maxConnections    HTTP/1.1 connections per node per gateway instance
 * @param idleTimeout       a client connection with nothing read or written for this long is closed
 */
public record GatewayOptions(
  String host,
  int port,
  List<Route> routes,
  Duration healthInterval,
  int ejectAfter,
  Duration ejectFor,
  int maxConnections,
  Duration idleTimeout) implements ServiceOptions {

  public static final String SECTION = "gateway";
  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 8080;
  public static final List<String> DEFAULT_ROUTES = List.of("/api/ http", "/files/ files", "/chat chat");
  public static final Duration DEFAULT_HEALTH_INTERVAL = Duration.ofSeconds(2);
  public static final int DEFAULT_EJECT_AFTER = 3;
  public static final Duration DEFAULT_EJECT_FOR = Duration.ofSeconds(10);
  public static final int DEFAULT_MAX_CONNECTIONS = 64;
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);
  public static final int MAX_ROUTES = 256;

  public static final Map<String, String> DESCRIPTIONS = Map.of(
    "host", "interface to listen on",
    "port", "HTTP port",
    "routes", "proxied prefixes: 'PREFIX SERVICE [policy=..] [timeout=..] [retries=..] [hash=header:X|cookie:X]', comma-separated",
    "healthInterval", "how often each node's /ready is asked",
    "ejectAfter", "consecutive failures that take a node out",
    "ejectFor", "how long an ejected node rests",
    "maxConnections", "HTTP/1.1 connections per node per instance",
    "idleTimeout", "close a client connection idle this long");

  public GatewayOptions {
    Require.nonBlank("host", host);
    Require.port("port", port);
    routes = List.copyOf(routes);
    Require.range("routes", routes.size(), 0, MAX_ROUTES);
    Set<String> prefixes = new HashSet<>();
    for (Route route : routes) {
      if (!prefixes.add(route.prefix())) {
        throw new InvalidSettingException("routes", route.prefix(), "lists the same prefix twice");
      }
    }
    Require.positive("healthInterval", healthInterval);
    Require.range("ejectAfter", ejectAfter, 1, 1000);
    Require.positive("ejectFor", ejectFor);
    Require.range("maxConnections", maxConnections, 1, 10_000);
    Require.positive("idleTimeout", idleTimeout);
  }

  /** Every option at its default. */
  public GatewayOptions() {
    this(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_ROUTES.stream().map(Route::parse).toList(), DEFAULT_HEALTH_INTERVAL,
      DEFAULT_EJECT_AFTER, DEFAULT_EJECT_FOR, DEFAULT_MAX_CONNECTIONS, DEFAULT_IDLE_TIMEOUT);
  }

  public static GatewayOptions fromJson(JsonObject json) {
    Settings s = Settings.of(SECTION, json);
    return s.build(() -> new GatewayOptions(
      s.string("host", DEFAULT_HOST),
      s.integer("port", DEFAULT_PORT),
      routes(s.list("routes", DEFAULT_ROUTES)),
      s.duration("healthInterval", DEFAULT_HEALTH_INTERVAL),
      s.integer("ejectAfter", DEFAULT_EJECT_AFTER),
      s.duration("ejectFor", DEFAULT_EJECT_FOR),
      s.integer("maxConnections", DEFAULT_MAX_CONNECTIONS),
      s.duration("idleTimeout", DEFAULT_IDLE_TIMEOUT)));
  }

  private static List<Route> routes(List<String> lines) {
    List<Route> routes = new ArrayList<>();
    for (String line : lines) {
      try {
        routes.add(Route.parse(line));
      } catch (IllegalArgumentException e) {
        throw new InvalidSettingException("routes", line, e.getMessage());
      }
    }
    return routes;
  }

  @Override
  public JsonObject toJson() {
    return new JsonObject()
      .put("host", host)
      .put("port", port)
      .put("routes", new JsonArray(routes.stream().map(Route::format).toList()))
      .put("healthInterval", Settings.format(healthInterval))
      .put("ejectAfter", ejectAfter)
      .put("ejectFor", Settings.format(ejectFor))
      .put("maxConnections", maxConnections)
      .put("idleTimeout", Settings.format(idleTimeout));
  }
}
