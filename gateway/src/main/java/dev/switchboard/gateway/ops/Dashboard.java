package dev.switchboard.gateway.ops;

import dev.switchboard.gateway.config.GatewayOptions;
import dev.switchboard.gateway.config.Route;
import dev.switchboard.gateway.upstream.Backend;
import dev.switchboard.gateway.upstream.Backends;
import dev.switchboard.gateway.upstream.TrafficStats;
import dev.switchboard.shared.registry.ServiceRecord;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The gateway's live view: {@code GET /dashboard/state} (JSON: the cluster's members, every
 * service node with its health and traffic, every route with its rate, errors, latency and last
 * minute) and {@code GET /dashboard/}, a page that draws it once a second.
 */
public final class Dashboard {

  public static final String PATH = "/dashboard";
  /** The page's own files, on the classpath. */
  private static final String ASSETS = "dashboard";
  /** The page loads nothing from elsewhere and runs no inline script. */
  private static final String CONTENT_SECURITY_POLICY =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'";

  private final Vertx vertx;
  private final GatewayOptions options;
  private final Backends backends;
  private final TrafficStats stats;

  public Dashboard(Vertx vertx, GatewayOptions options, Backends backends, TrafficStats stats) {
    this.vertx = vertx;
    this.options = options;
    this.backends = backends;
    this.stats = stats;
  }

  public void mount(Router router) {
    router.route(HttpMethod.GET, PATH + "/state").handler(this::state);
    router.route(HttpMethod.GET, PATH).handler(ctx -> {
      // vertx-web matches "/dashboard" for "/dashboard/" too: only the bare path is sent on.
      if (ctx.request().path().equals(PATH)) {
        ctx.redirect(PATH + "/");
      } else {
        ctx.next();
      }
    });
    router.route(PATH + "/*").handler(ctx -> {
      ctx.response().putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
      ctx.next();
    });
    router.route(HttpMethod.GET, PATH + "/*").handler(StaticHandler.create(ASSETS)
      .setIndexPage("index.html")
      .setCachingEnabled(false)
      .setDirectoryListing(false));
  }

  private void state(RoutingContext ctx) {
    ctx.response()
      .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
      .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
      .end(state().encode());
  }

  JsonObject state() {
    List<ServiceRecord> records = backends.records().stream()
      .sorted(Comparator.comparing(ServiceRecord::service).thenComparing(ServiceRecord::id))
      .toList();
    Map<String, Backend> checked = new HashMap<>();
    records.stream().map(ServiceRecord::service).distinct()
      .forEach(service -> {
        backends.tcpNodes(service).forEach(b -> checked.put(b.id(), b));
        backends.nodes(service).forEach(b -> checked.put(b.id(), b));
      });
    JsonArray nodes = new JsonArray();
    for (ServiceRecord record : records) {
      JsonObject node = new JsonObject()
        .put("id", record.id())
        .put("service", record.service())
        .put("member", record.node())
        .put("host", record.host())
        .put("ports", new JsonObject(Map.copyOf(record.ports())));
      Backend backend = checked.get(record.id());
      if (backend != null) {
        // A node the gateway sends to: its health as the gateway sees it, and its traffic.
        node.put("label", backend.label())
          .put("ready", backend.ready())
          .put("circuit", backend.circuit().name().toLowerCase(Locale.ROOT))
          .put("available", backend.available())
          .put("inFlight", backend.inFlight())
          .put("traffic", stats.backend(backend.label()));
      }
      nodes.add(node);
    }
    JsonArray routes = new JsonArray();
    for (Route route : options.routes()) {
      routes.add(new JsonObject().put("route", route.prefix()).put("service", route.service())
        .put("policy", route.policy().id()).mergeIn(stats.route(route.prefix(), true)));
    }
    return new JsonObject()
      .put("at", System.currentTimeMillis())
      .put("historySeconds", TrafficStats.HISTORY_SECONDS)
      .put("recentSeconds", TrafficStats.RECENT_SECONDS)
      .put("members", members())
      .put("nodes", nodes)
      .put("routes", routes);
  }

  /** The cluster's members from Hazelcast's local view (no remote call); empty when not clustered. */
  private JsonArray members() {
    JsonArray members = new JsonArray();
    if (((VertxInternal) vertx).clusterManager() instanceof HazelcastClusterManager hazelcast && hazelcast.isActive()) {
      hazelcast.getHazelcastInstance().getCluster().getMembers().forEach(member -> members.add(new JsonObject()
        .put("id", member.getUuid().toString())
        .put("address", member.getAddress().getHost() + ":" + member.getAddress().getPort())
        .put("local", member.localMember())));
    }
    return members;
  }
}
