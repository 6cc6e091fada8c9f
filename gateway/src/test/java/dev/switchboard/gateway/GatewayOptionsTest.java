package dev.switchboard.gateway;

import dev.switchboard.gateway.config.Access;
import dev.switchboard.gateway.config.GatewayOptions;
import dev.switchboard.gateway.config.Policy;
import dev.switchboard.gateway.config.Route;
import dev.switchboard.gateway.config.TcpRoute;
import dev.switchboard.shared.InvalidSettingException;
import dev.switchboard.shared.testkit.OptionsChecks;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GatewayOptionsTest {

  @Test
  void defaultsRouteOurServices() {
    GatewayOptions options = GatewayOptions.fromJson(new JsonObject());
    assertEquals(8080, options.port());
    assertEquals(List.of("/api/ http policy=round-robin timeout=30s retries=2",
        "/files/ files policy=round-robin timeout=30s retries=2 maxBody=4g",
        "/chat chat policy=round-robin timeout=30s retries=2"),
      options.routes().stream().map(Route::format).toList());
    assertEquals(options, GatewayOptions.fromJson(options.toJson()), "toJson reads back");
  }

  @Test
  void everyKeyReadsBackAndIsDescribed() {
    // API keys are written hidden, so they stay at their default here.
    OptionsChecks.readsBackAndDescribesEveryKey(GatewayOptions.SCHEMA, GatewayOptions.fromJson(new JsonObject()
      .put("host", "127.0.0.1").put("port", 1).put("adminPort", 2)
      .put("routes", "/shop/ cart policy=least-requests timeout=5s").put("tcpRoutes", "9000 echo retries=0")
      .put("healthInterval", "1s").put("ejectAfter", 5).put("ejectFor", "30s").put("maxConnections", 8).put("idleTimeout", "1m")
      .put("rateLimit", 50).put("rateBurst", 10).put("apiKeyHeader", "X-Key").put("apiKeyRate", 20)
      .put("maxBodySize", "1m").put("maxHeaderSize", "16k").put("maxConnectionsPerClient", 4).put("bodyTimeout", "5s")
      .put("corsOrigins", "https://app.example.com").put("corsMaxAge", "1m").put("securityHeaders", false)
      .put("busRoutes", "GET /bus/time time.now timeout=1s").put("bff", "/bff/home time=bus:time.now@500ms")
      .put("eventBusOutbound", "news.*").put("eventBusInbound", "orders").put("eventBusOrigins", "https://app.example.com")
      .put("eventBusAuth", true).put("eventBusScopes", "orders=shop")
      .put("tlsCert", "gateway.pem").put("tlsKey", "gateway.key").put("tlsReloadInterval", "0s").put("tlsProtocols", "TLSv1.3")
      .put("tlsRedirectPort", 3).put("tlsPublicHost", "api.example.com").put("tlsPublicPort", 443).put("tlsHstsMaxAge", "1h")
      .put("tlsHstsSubdomains", true).put("tlsTcp", false)));
  }

  @Test
  void aRouteLineCarriesItsSettings() {
    Route route = Route.parse("  /shop/  cart   policy=consistent-hash hash=cookie:session timeout=1500ms retries=0 ");
    assertEquals(new Route("/shop/", "cart", Policy.CONSISTENT_HASH, Duration.ofMillis(1500), 0, "cookie:session", 0, Access.OPEN), route);
    assertEquals(route, Route.parse(route.format()));
    // Routes come comma-separated from the environment.
    GatewayOptions options = GatewayOptions.fromJson(new JsonObject().put("routes", "/a/ x policy=least-requests, /b y"));
    assertEquals(2, options.routes().size());
  }

  @Test
  void routesAndBusRoutesSayWhoMayUseThem() {
    Route open = Route.parse("/a/ x");
    assertFalse(open.access().token());
    Route token = Route.parse("/a/ x auth=token");
    assertEquals(new Access(true, java.util.Set.of()), token.access());
    Route scoped = Route.parse("/a/ x scopes=write,read scopes=admin");
    assertEquals(new Access(true, java.util.Set.of("admin", "read", "write")), scoped.access());
    assertTrue(scoped.format().endsWith(" scopes=admin,read,write"), scoped.format());
    assertEquals(scoped, Route.parse(scoped.format()));
    assertEquals(token, Route.parse(token.format()));
    dev.switchboard.gateway.config.BusRoute bus = dev.switchboard.gateway.config.BusRoute.parse("GET /who who timeout=1s scopes=chat");
    assertEquals(java.util.Set.of("chat"), bus.access().scopes());
    assertEquals(bus, dev.switchboard.gateway.config.BusRoute.parse(bus.format()));
    assertFalse(GatewayOptions.fromJson(new JsonObject()).needsTokens(), "the defaults ask for no token");
    assertTrue(GatewayOptions.fromJson(new JsonObject().put("routes", "/a/ x auth=token")).needsTokens());
    assertTrue(GatewayOptions.fromJson(new JsonObject().put("eventBusAuth", true)).needsTokens());
    refused("eventBusScopes", "chat.room.staff", "must be ADDRESS=SCOPE");
    InvalidSettingException withoutAuth = assertThrows(InvalidSettingException.class,
      () -> GatewayOptions.fromJson(new JsonObject().put("eventBusScopes", "chat.room.*=chat")));
    assertTrue(withoutAuth.getMessage().contains("needs eventBusAuth"), withoutAuth.getMessage());
  }

  @Test
  void prefixesMatchWholeSegments() {
    Route chat = Route.parse("/chat chat");
    assertTrue(chat.matches("/chat"));
    assertTrue(chat.matches("/chat/room"));
    assertFalse(chat.matches("/chatter"));
    assertTrue(Route.parse("/api/ http").matches("/api/echo"));
    assertFalse(Route.parse("/api/ http").matches("/api"));
  }

  @Test
  void badRoutesAreNamed() {
    for (String[] bad : new String[][] {
      {"/api/", "needs a path prefix and a service"},
      {"api/ http", "must start with /"},
      {"/api/ HTTP", "is not a service name"},
      {"/api/ http policy=random", "unknown policy 'random'"},
      {"/api/ http timeout=soon", "is not a duration"},
      {"/api/ http retries=9", "retries must be 0 to 5"},
      {"/api/ http policy=consistent-hash", "needs hash=header:NAME or hash=cookie:NAME"},
      {"/api/ http hash=header:X", "only for policy=consistent-hash"},
      {"/api/ http colour=red", "unknown route setting 'colour'"},
      {"/api/ http retries", "is not key=value"},
      {"/api/ http auth=basic", "is not auth=token"},
      {"/api/ http scopes=a,b c", "is not key=value"},
      {"/api/ http scopes=a\"b", "is not a scope"},
      {"/api/ http scopes=", "is not a scope"},
    }) {
      refused("routes", bad[0], bad[1]);
    }
    InvalidSettingException twice = assertThrows(InvalidSettingException.class,
      () -> GatewayOptions.fromJson(new JsonObject().put("routes", new JsonArray().add("/a/ x").add("/a/ y"))));
    assertTrue(twice.getMessage().contains("same prefix twice"), twice.getMessage());
  }

  @Test
  void tcpRoutesBusRoutesAndBffEndpointsAreCheckedAndNamed() {
    GatewayOptions defaults = new GatewayOptions();
    assertEquals(List.of("8999 echo policy=round-robin retries=2 maxConnections=10000"),
      defaults.tcpRoutes().stream().map(TcpRoute::format).toList());
    for (String[] bad : new String[][] {
      {"tcpRoutes", "echo", "needs a port and a service"},
      {"tcpRoutes", "99999 echo", "port must be 0 to 65535"},
      {"tcpRoutes", "8999 echo policy=consistent-hash", "policy must be round-robin, least-requests or power-of-two"},
      {"tcpRoutes", "8080 echo", "uses a port the gateway already listens on"},
      {"busRoutes", "DELETE /x echo", "method must be GET, POST or PUT"},
      {"busRoutes", "GET /x", "needs a method, a path and an address"},
      {"bff", "/bff/x rooms=ftp:chat.rooms", "is not NAME=bus:ADDRESS or NAME=get:SERVICE/PATH"},
      {"bff", "/bff/x a=bus:x b=bus:y a=bus:z", "names part 'a' twice"},
      {"bff", "/bff/x a=bus:x@soon", "is not a duration"},
      {"bff", "/bus/greet a=bus:x", "is already a bus route or another endpoint"},
      {"eventBusOutbound", "chat.*.x", "must be a bus address, or a prefix ending in *"},
      {"corsOrigins", "app.example.com", "must be * or scheme://host[:port]"},
      {"apiKeys", "short", "each key must be 16 to 256 printable characters"},
    }) {
      InvalidSettingException e = refused(bad[0], bad[1], bad[2]);
      assertFalse(bad[0].equals("apiKeys") && e.getMessage().contains(bad[1]), "a key is never printed: " + e.getMessage());
    }
  }

  /** {@code line} as the one entry of list setting {@code key} is refused, naming the key and saying {@code why}. */
  private static InvalidSettingException refused(String key, String line, String why) {
    InvalidSettingException e = assertThrows(InvalidSettingException.class,
      () -> GatewayOptions.fromJson(new JsonObject().put(key, new JsonArray().add(line))), line);
    assertTrue(e.getMessage().contains(why) && e.getMessage().startsWith("gateway." + key), line + " -> " + e.getMessage());
    return e;
  }
}
