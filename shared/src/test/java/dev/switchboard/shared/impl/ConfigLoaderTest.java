package dev.switchboard.shared.impl;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

@ExtendWith(VertxExtension.class)
class ConfigLoaderTest {

  private static final Map<String, Set<String>> KNOWN = Map.of(
    "echo", Set.of("port", "idleTimeout", "mode"),
    "cluster", Set.of("name"));

  @TempDir
  Path dir;

  @AfterEach
  void clearProperties() {
    System.clearProperty("switchboard.echo.port");
  }

  @Test
  void mapsSettingNamesToEnvironmentVariablesAndProperties() {
    assertEquals("SWITCHBOARD_ECHO_IDLE_TIMEOUT", ConfigLoader.envName("echo", "idleTimeout"));
    assertEquals("SWITCHBOARD_HTTP_PORT", ConfigLoader.envName("http", "port"));
    assertEquals("SWITCHBOARD_CLUSTER_SERVICE_DNS", ConfigLoader.envName("cluster", "serviceDns"));
    assertEquals("switchboard.echo.idleTimeout", ConfigLoader.propertyName("echo", "idleTimeout"));
  }

  @Test
  void aDashInASectionNameIsAnUnderscoreInTheEnvironmentOnly() {
    assertEquals("SWITCHBOARD_HELLO_WEB_MAX_NAME", ConfigLoader.envName("hello-web", "maxName"));
    assertEquals("switchboard.hello-web.maxName", ConfigLoader.propertyName("hello-web", "maxName"));
  }

  @Test
  void readsYamlFileAndLetsSystemPropertiesOverrideIt(Vertx vertx, VertxTestContext ctx) throws Exception {
    Path file = dir.resolve("switchboard.yaml");
    Files.writeString(file, "echo:\n  port: 4000\n  mode: line\ncluster:\n  name: yaml-cluster\n");
    System.setProperty("switchboard.echo.port", "4001");
    new ConfigLoader(vertx).load(file.toString(), KNOWN).onComplete(ctx.succeeding(config -> ctx.verify(() -> {
      assertEquals("4001", config.getJsonObject("echo").getValue("port"));
      assertEquals("line", config.getJsonObject("echo").getString("mode"));
      assertEquals("yaml-cluster", config.getJsonObject("cluster").getString("name"));
      ctx.completeNow();
    })));
  }

  @Test
  void readsJsonFileAndInlineJson(Vertx vertx, VertxTestContext ctx) throws Exception {
    Path file = dir.resolve("switchboard.json");
    Files.writeString(file, new JsonObject().put("echo", new JsonObject().put("port", 4100)).encode());
    ConfigLoader loader = new ConfigLoader(vertx);
    loader.load(file.toString(), KNOWN)
      .compose(fromFile -> loader.load("{\"echo\":{\"port\":4200}}", KNOWN).map(inline -> new JsonObject().put("file", fromFile).put("inline", inline)))
      .onComplete(ctx.succeeding(both -> ctx.verify(() -> {
        assertEquals(4100, both.getJsonObject("file").getJsonObject("echo").getInteger("port"));
        assertEquals(4200, both.getJsonObject("inline").getJsonObject("echo").getInteger("port"));
        ctx.completeNow();
      })));
  }

  @Test
  void failsWithOneLineForMissingFile(Vertx vertx, VertxTestContext ctx) {
    new ConfigLoader(vertx).load(dir.resolve("absent.yaml").toString(), KNOWN).onComplete(ctx.failing(e -> ctx.verify(() -> {
      assertInstanceOf(ConfigLoader.ConfigException.class, e);
      assertTrue(e.getMessage().endsWith("absent.yaml cannot be read: no such file"), e.getMessage());
      ctx.completeNow();
    })));
  }

  @Test
  void failsWithOneLineForMalformedYaml(Vertx vertx, VertxTestContext ctx) throws Exception {
    Path file = dir.resolve("broken.yml");
    Files.writeString(file, "echo:\n  port: [unclosed\n");
    new ConfigLoader(vertx).load(file.toString(), KNOWN).onComplete(ctx.failing(e -> ctx.verify(() -> {
      assertTrue(e.getMessage().contains("is not valid YAML"), e.getMessage());
      assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
      ctx.completeNow();
    })));
  }
}
