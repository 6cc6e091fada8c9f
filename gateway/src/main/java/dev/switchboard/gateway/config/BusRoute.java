package dev.switchboard.gateway.config;

import dev.switchboard.shared.Settings;
import io.vertx.core.http.HttpMethod;

import java.time.Duration;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An HTTP endpoint answered by an event bus request, written in configuration as one line:
 * {@code GET /bus/rooms chat.rooms timeout=2s}. The request's JSON body ({@code POST}, {@code PUT})
 * or its query parameters ({@code GET}) are the message; the reply is the response.
 *
 * @param method  the HTTP method it answers
 * @param path    the exact path it answers
 * @param address the bus address asked
 * @param timeout how long the reply may take; 504 after
 * @param access  who may use it ({@code auth=token}, {@code scopes=a,b}); open by default. With a
 *                token, the message carries the caller's subject and scopes in its headers
 */
public record BusRoute(HttpMethod method, String path, String address, Duration timeout, Access access) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
  private static final Set<HttpMethod> METHODS = Set.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT);
  private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9._~/-]*");
  static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  public BusRoute {
    if (!METHODS.contains(method)) {
      throw new IllegalArgumentException("method must be GET, POST or PUT");
    }
    if (path == null || !PATH.matcher(path).matches()) {
      throw new IllegalArgumentException("path '" + path + "' must start with / and hold only URL path characters");
    }
    if (address == null || !ADDRESS.matcher(address).matches()) {
      throw new IllegalArgumentException("'" + address + "' is not a bus address");
    }
    if (timeout == null || timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must be positive");
    }
    java.util.Objects.requireNonNull(access, "access");
  }

  /** Reads one line; throws {@link IllegalArgumentException} naming what is wrong. */
  public static BusRoute parse(String line) {
    String[] words = line.trim().split("\\s+");
    if (words.length < 3) {
      throw new IllegalArgumentException("bus route '" + line.trim() + "' needs a method, a path and an address");
    }
    HttpMethod method = HttpMethod.valueOf(words[0].toUpperCase(java.util.Locale.ROOT));
    Duration timeout = DEFAULT_TIMEOUT;
    Access access = Access.OPEN;
    for (int i = 3; i < words.length; i++) {
      String[] kv = words[i].split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("bus route word '" + words[i] + "' is not key=value");
      }
      switch (kv[0]) {
        case "timeout" -> {
          timeout = Settings.parseDuration(kv[1]);
          if (timeout == null) {
            throw new IllegalArgumentException("timeout '" + kv[1] + "' is not a duration such as 500ms, 30s or 5m");
          }
        }
        case "auth" -> access = Access.auth(access, kv[1]);
        case "scopes" -> access = Access.scopes(access, kv[1]);
        default -> throw new IllegalArgumentException("unknown bus route setting '" + kv[0] + "' (timeout, auth, scopes)");
      }
    }
    return new BusRoute(method, words[1], words[2], timeout, access);
  }

  public String format() {
    return method.name() + " " + path + " " + address + " timeout=" + Settings.format(timeout) + access.format();
  }
}
