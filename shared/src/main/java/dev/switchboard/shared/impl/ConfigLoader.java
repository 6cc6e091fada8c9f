package dev.switchboard.shared.impl;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Loads the configuration through vertx-config, in increasing precedence: the config file
 * ({@code -conf}, JSON or YAML, or inline JSON), environment variables, system properties.
 * Defaults are not here: each options record applies its own.
 * <p>
 * The result has one object per section ({@code cluster}, {@code shutdown}, {@code echo}, …).
 * A setting {@code key} of section {@code sec} is read from the environment variable
 * {@code SWITCHBOARD_SEC_KEY} (key in upper snake case: {@code idleTimeout} →
 * {@code SWITCHBOARD_ECHO_IDLE_TIMEOUT}; a dash in the section's name is an underscore there, as no
 * shell can set a variable with a dash: {@code greeter-node} → {@code SWITCHBOARD_GREETER_NODE_...})
 * and from the system property {@code switchboard.sec.key}.
 */
public final class ConfigLoader {

  static final String ENV_PREFIX = "SWITCHBOARD_";
  static final String PROPERTY_PREFIX = "switchboard.";

  private final Vertx vertx;

  public ConfigLoader(Vertx vertx) {
    this.vertx = vertx;
  }

  public static String envName(String section, String key) {
    return ENV_PREFIX + section.toUpperCase(Locale.ROOT).replace('-', '_') + "_" + key.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT);
  }

  public static String propertyName(String section, String key) {
    return PROPERTY_PREFIX + section + "." + key;
  }

  /**
   * @param conf  the {@code -conf} argument: a file path or inline JSON; may be null
   * @param known the known keys of every section, used to map environment variables and
   *              system properties (unknown keys in the file are kept, for the options record to refuse)
   */
  public Future<JsonObject> load(String conf, Map<String, Set<String>> known) {
    Future<JsonObject> file = conf == null ? Future.succeededFuture(new JsonObject()) : readFile(conf);
    JsonArray envKeys = new JsonArray();
    known.forEach((section, keys) -> keys.forEach(key -> envKeys.add(envName(section, key))));
    Future<JsonObject> env = retrieve(new ConfigStoreOptions().setType("env")
      .setConfig(new JsonObject().put("raw-data", true).put("keys", envKeys)));
    Future<JsonObject> props = retrieve(new ConfigStoreOptions().setType("sys")
      .setConfig(new JsonObject().put("raw-data", true).put("cache", false)));
    return Future.all(file, env, props).map(all -> {
      JsonObject result = file.result().copy();
      known.forEach((section, keys) -> {
        for (String key : keys) {
          overlay(result, section, key, env.result().getValue(envName(section, key)));
        }
        for (String key : keys) {
          overlay(result, section, key, props.result().getValue(propertyName(section, key)));
        }
      });
      return result;
    });
  }

  private Future<JsonObject> readFile(String conf) {
    Path path = Path.of(conf);
    String trimmed = conf.trim();
    if (!Files.exists(path) && trimmed.startsWith("{")) {
      try {
        return Future.succeededFuture(new JsonObject(trimmed));
      } catch (DecodeException e) {
        return Future.failedFuture(new ConfigException("-conf is neither a readable file nor a JSON object: " + firstLine(e.getMessage())));
      }
    }
    if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
      return Future.failedFuture(new ConfigException("config file " + conf + " cannot be read: " + (Files.exists(path) ? "not a readable file" : "no such file")));
    }
    String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
    String format = name.endsWith(".yaml") || name.endsWith(".yml") ? "yaml" : "json";
    return retrieve(new ConfigStoreOptions().setType("file").setFormat(format)
      .setConfig(new JsonObject().put("path", path.toAbsolutePath().toString())))
      .recover(e -> Future.failedFuture(new ConfigException("config file " + conf + " is not valid " + format.toUpperCase(Locale.ROOT) + ": " + firstLine(rootMessage(e)))));
  }

  private Future<JsonObject> retrieve(ConfigStoreOptions store) {
    ConfigRetriever retriever = ConfigRetriever.create(vertx, new ConfigRetrieverOptions()
      .setScanPeriod(0)
      .setIncludeDefaultStores(false)
      .addStore(store));
    return retriever.getConfig().eventually(retriever::close);
  }

  private static void overlay(JsonObject result, String section, String key, Object value) {
    if (value == null) {
      return;
    }
    Object current = result.getValue(section);
    if (current != null && !(current instanceof JsonObject)) {
      return; // the section itself is malformed; its options record reports that
    }
    JsonObject target = current == null ? new JsonObject() : (JsonObject) current;
    result.put(section, target.put(key, value));
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** The configuration cannot be read at all (as opposed to a value in it being invalid). */
  public static final class ConfigException extends RuntimeException {

    public ConfigException(String message) {
      super(message, null, false, false);
    }
  }
}
