package dev.switchboard.gateway.config;

import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.OptionKey;
import dev.switchboard.shared.OptionsSchema;
import dev.switchboard.shared.Require;
import dev.switchboard.shared.ServiceOptions;
import dev.switchboard.shared.auth.Identity;
import io.vertx.core.json.JsonObject;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Options of the gateway; the {@code gateway} section of the configuration.
 *
 * @param host              interface to listen on
 * @param port              HTTP port; 0 picks a free one
 * @param adminPort         HTTP port of the operations endpoints and the dashboard ({@code /health},
 *                          {@code /ready}, {@code /metrics}, {@code /dashboard/}), kept off the public port; 0 picks a free one
 * @param routes            proxied path prefixes, one {@link Route} line each, matched longest first
 * @param tcpRoutes         TCP ports balanced over a service's {@code tcp} endpoints, one {@link TcpRoute} line each
 * @param healthInterval    how often every node's {@code /ready} is asked
 * @param ejectAfter        consecutive failures (connection, timeout, 5xx) that take a node out
 * @param ejectFor          how long an ejected node gets no traffic before it is tried again
 * @param maxConnections    HTTP/1.1 connections per node per gateway instance
 * @param idleTimeout       a client connection with nothing read or written for this long is closed
 * @param edge              rate limits, size limits, CORS and security headers
 * @param busRoutes         HTTP endpoints answered by an event bus request, one {@link BusRoute} line each
 * @param bff               aggregated endpoints per front-end, one {@link BffEndpoint} line each
 * @param eventBusOutbound  addresses a browser on the SockJS bridge ({@code /eventbus}) may receive from
 *                          (exact, or a {@code *} glob at the end)
 * @param eventBusInbound   addresses a browser on the SockJS bridge may send or publish to
 * @param eventBusOrigins   origins of pages from other sites allowed on {@code /eventbus} ({@code scheme://host[:port]},
 *                          or {@code *}); pages of the gateway's own origin, and clients that send no
 *                          {@code Origin}, always are
 * @param eventBusAuth      whether a browser on {@code /eventbus} must present a token (the
 *                          {@code access_token} query parameter, or in the headers of its first frame)
 * @param eventBusScopes    scopes an address asks of a browser's token, {@code ADDRESS=SCOPE} (address
 *                          exact or a prefix ending in {@code *}), for registering, sending and publishing
 * @param tls               HTTPS on the public port, the redirecting plain port, HSTS
 */
public record GatewayOptions(
  String host,
  int port,
  int adminPort,
  List<Route> routes,
  List<TcpRoute> tcpRoutes,
  Duration healthInterval,
  int ejectAfter,
  Duration ejectFor,
  int maxConnections,
  Duration idleTimeout,
  EdgeOptions edge,
  List<BusRoute> busRoutes,
  List<BffEndpoint> bff,
  List<String> eventBusOutbound,
  List<String> eventBusInbound,
  List<String> eventBusOrigins,
  boolean eventBusAuth,
  List<String> eventBusScopes,
  TlsOptions tls) implements ServiceOptions {

  public static final String SECTION = "gateway";
  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 8080;
  public static final int DEFAULT_ADMIN_PORT = 8081;
  public static final List<String> DEFAULT_ROUTES = List.of("/api/ http", "/files/ files maxBody=4g", "/chat chat");
  public static final List<String> DEFAULT_TCP_ROUTES = List.of("8999 echo");
  public static final List<String> DEFAULT_BUS_ROUTES = List.of(
    "GET /bus/chat/rooms chat.rooms", "GET /bus/files files.list", "POST /bus/echo echo", "GET /bus/greet greeter.hello");
  public static final List<String> DEFAULT_BFF = List.of(
    "/bff/web/home rooms=bus:chat.rooms@800ms files=get:files/files/@800ms greeting=bus:greeter.hello@500ms echo=bus:echo@300ms",
    "/bff/mobile/home rooms=bus:chat.rooms@500ms[rooms.room|rooms.members] greeting=bus:greeter.hello@300ms[greeting]");
  public static final List<String> DEFAULT_EVENT_BUS_OUTBOUND = List.of("chat.room.*", "files.changed");
  public static final int MAX_ENDPOINTS = 256;
  private static final Pattern EVENT_BUS_ADDRESS = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}\\*?");
  public static final Duration DEFAULT_HEALTH_INTERVAL = Duration.ofSeconds(2);
  public static final int DEFAULT_EJECT_AFTER = 3;
  public static final Duration DEFAULT_EJECT_FOR = Duration.ofSeconds(10);
  public static final int DEFAULT_MAX_CONNECTIONS = 64;
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(2);
  public static final int MAX_ROUTES = 256;

  /** The keys of the {@code gateway} section, one per component; the edge's and TLS's keys sit among them. */
  public static final OptionsSchema<GatewayOptions> SCHEMA = OptionsSchema.of(SECTION, GatewayOptions.class, GatewayOptions::new,
    OptionKey.string("host", "interface to listen on"),
    OptionKey.integer("port", "HTTP port"),
    OptionKey.integer("adminPort", "HTTP port of /health, /ready, /metrics and /dashboard/ (not the public port)"),
    OptionKey.lines("routes", Route.class, Route::parse, Route::format,
      "proxied prefixes: 'PREFIX SERVICE [policy=..] [timeout=..] [retries=..] [hash=header:X|cookie:X] [maxBody=..] [auth=token] [scopes=a,b]', comma-separated"),
    OptionKey.lines("tcpRoutes", TcpRoute.class, TcpRoute::parse, TcpRoute::format,
      "TCP ports balanced over a service's nodes: 'PORT SERVICE [policy=..] [retries=..] [maxConnections=..]', comma-separated"),
    OptionKey.duration("healthInterval", "how often each node's /ready is asked"),
    OptionKey.integer("ejectAfter", "consecutive failures that take a node out"),
    OptionKey.duration("ejectFor", "how long an ejected node rests"),
    OptionKey.integer("maxConnections", "HTTP/1.1 connections per node per instance"),
    OptionKey.duration("idleTimeout", "close a client connection idle this long"),
    OptionKey.nested("edge", "", EdgeOptions.SCHEMA),
    OptionKey.lines("busRoutes", BusRoute.class, BusRoute::parse, BusRoute::format,
      "HTTP endpoints answered on the bus: 'METHOD PATH ADDRESS [timeout=..] [auth=token] [scopes=a,b]', comma-separated"),
    OptionKey.lines("bff", BffEndpoint.class, BffEndpoint::parse, BffEndpoint::format,
      "aggregated endpoints: 'PATH NAME=bus:ADDRESS|get:SERVICE/PATH[@TIMEOUT][[field|field]] ...', comma-separated"),
    OptionKey.list("eventBusOutbound", "addresses browsers on /eventbus may receive from (* at the end: a prefix)"),
    OptionKey.list("eventBusInbound", "addresses browsers on /eventbus may send to"),
    OptionKey.list("eventBusOrigins", "origins of other sites' pages allowed on /eventbus (comma-separated, * for any)"),
    OptionKey.bool("eventBusAuth", "browsers on /eventbus present a token (access_token query parameter or first frame's headers)"),
    OptionKey.list("eventBusScopes", "scopes addresses ask of a token on /eventbus: 'ADDRESS[*]=SCOPE', comma-separated"),
    OptionKey.nested("tls", "tls", TlsOptions.SCHEMA));

  public GatewayOptions {
    Require.nonBlank("host", host);
    Require.port("port", port);
    Require.port("adminPort", adminPort);
    if (adminPort != 0 && adminPort == port) {
      throw new InvalidSettingException("adminPort", String.valueOf(adminPort), "must differ from port");
    }
    routes = List.copyOf(routes);
    Require.range("routes", routes.size(), 0, MAX_ROUTES);
    Set<String> prefixes = new HashSet<>();
    for (Route route : routes) {
      if (!prefixes.add(route.prefix())) {
        throw new InvalidSettingException("routes", route.prefix(), "lists the same prefix twice");
      }
    }
    tcpRoutes = List.copyOf(tcpRoutes);
    Require.range("tcpRoutes", tcpRoutes.size(), 0, MAX_ROUTES);
    Set<Integer> ports = new HashSet<>();
    Set<String> tcpServices = new HashSet<>();
    for (TcpRoute route : tcpRoutes) {
      if (route.port() != 0 && (route.port() == port || route.port() == adminPort || !ports.add(route.port()))) {
        throw new InvalidSettingException("tcpRoutes", route.format(), "uses a port the gateway already listens on");
      }
      if (!tcpServices.add(route.service())) {
        throw new InvalidSettingException("tcpRoutes", route.format(), "lists the same service twice");
      }
    }
    Require.positive("healthInterval", healthInterval);
    Require.range("ejectAfter", ejectAfter, 1, 1000);
    Require.positive("ejectFor", ejectFor);
    Require.range("maxConnections", maxConnections, 1, 10_000);
    Require.positive("idleTimeout", idleTimeout);
    Objects.requireNonNull(edge, "edge");
    busRoutes = List.copyOf(busRoutes);
    bff = List.copyOf(bff);
    Require.range("busRoutes", busRoutes.size() + bff.size(), 0, MAX_ENDPOINTS);
    Set<String> paths = new HashSet<>();
    for (BusRoute route : busRoutes) {
      if (!paths.add(route.method() + " " + route.path())) {
        throw new InvalidSettingException("busRoutes", route.format(), "lists the same method and path twice");
      }
    }
    for (BffEndpoint endpoint : bff) {
      if (!paths.add("GET " + endpoint.path())) {
        throw new InvalidSettingException("bff", endpoint.path(), "is already a bus route or another endpoint");
      }
    }
    eventBusOutbound = addresses("eventBusOutbound", eventBusOutbound);
    eventBusInbound = addresses("eventBusInbound", eventBusInbound);
    eventBusOrigins = List.copyOf(eventBusOrigins);
    for (String origin : eventBusOrigins) {
      if (!EdgeOptions.ORIGIN.matcher(origin).matches()) {
        throw new InvalidSettingException("eventBusOrigins", origin, "must be * or scheme://host[:port], such as https://app.example.com");
      }
    }
    eventBusScopes = List.copyOf(eventBusScopes);
    for (String rule : eventBusScopes) {
      String[] parts = rule.split("=", 2);
      if (parts.length != 2 || !EVENT_BUS_ADDRESS.matcher(parts[0]).matches() || !Identity.isScope(parts[1])) {
        throw new InvalidSettingException("eventBusScopes", rule, "must be ADDRESS=SCOPE (address exact or ending in *)");
      }
    }
    if (!eventBusAuth && !eventBusScopes.isEmpty()) {
      throw new InvalidSettingException("eventBusScopes", String.join(",", eventBusScopes), "needs eventBusAuth: true");
    }
    Objects.requireNonNull(tls, "tls");
    if (tls.redirectPort() > 0 && (tls.redirectPort() == port || tls.redirectPort() == adminPort || ports.contains(tls.redirectPort()))) {
      throw new InvalidSettingException("tlsRedirectPort", String.valueOf(tls.redirectPort()), "uses a port the gateway already listens on");
    }
  }

  /** Whether any route, bus route or the browser bridge asks for a token. */
  public boolean needsTokens() {
    return eventBusAuth || routes.stream().anyMatch(r -> r.access().token()) || busRoutes.stream().anyMatch(r -> r.access().token());
  }

  private static List<String> addresses(String key, List<String> addresses) {
    for (String address : addresses) {
      if (!EVENT_BUS_ADDRESS.matcher(address).matches()) {
        throw new InvalidSettingException(key, address, "must be a bus address, or a prefix ending in *");
      }
    }
    return List.copyOf(addresses);
  }

  /** Every option at its default. */
  public GatewayOptions() {
    this(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_ADMIN_PORT, DEFAULT_ROUTES.stream().map(Route::parse).toList(),
      DEFAULT_TCP_ROUTES.stream().map(TcpRoute::parse).toList(), DEFAULT_HEALTH_INTERVAL,
      DEFAULT_EJECT_AFTER, DEFAULT_EJECT_FOR, DEFAULT_MAX_CONNECTIONS, DEFAULT_IDLE_TIMEOUT, new EdgeOptions(),
      DEFAULT_BUS_ROUTES.stream().map(BusRoute::parse).toList(), DEFAULT_BFF.stream().map(BffEndpoint::parse).toList(),
      DEFAULT_EVENT_BUS_OUTBOUND, List.of(), List.of(), false, List.of(), new TlsOptions());
  }

  public static GatewayOptions fromJson(JsonObject json) {
    return SCHEMA.fromJson(json);
  }

  @Override
  public JsonObject toJson() {
    return SCHEMA.toJson(this);
  }
}
