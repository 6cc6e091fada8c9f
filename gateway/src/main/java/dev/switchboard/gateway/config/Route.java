package dev.switchboard.gateway.config;

import dev.switchboard.shared.Settings;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One proxied path prefix, written in configuration as one line:
 * {@code /api/ http policy=least-requests timeout=10s retries=2 hash=header:X-User}.
 *
 * @param prefix  the path prefix it serves ({@code /api/}); the path is passed on unchanged
 * @param service the registry name of the service whose nodes serve it
 * @param policy  how requests spread over those nodes
 * @param timeout how long a node may leave a request without an answer (no byte for this long)
 * @param retries further nodes to try after a failure: always after a failed connection, and for
 *                idempotent requests without a body also after a failure or 502/503/504 answer
 * @param hashOn  for {@link Policy#CONSISTENT_HASH}: {@code header:NAME} or {@code cookie:NAME}
 * @param maxBody largest request body in bytes ({@code maxBody=4g}); 0: the gateway's {@code maxBodySize}
 * @param access  who may use it ({@code auth=token}, {@code scopes=a,b}); open by default
 */
public record Route(String prefix, String service, Policy policy, Duration timeout, int retries, String hashOn, long maxBody,
                    Access access) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  public static final int DEFAULT_RETRIES = 2;
  public static final int MAX_RETRIES = 5;
  private static final Pattern PREFIX = Pattern.compile("/[A-Za-z0-9._~/-]*");
  private static final Pattern SERVICE = Pattern.compile("[a-z][a-z0-9-]{0,62}");
  private static final Pattern HASH = Pattern.compile("(header|cookie):[A-Za-z0-9!#$%&'*+.^_`|~-]+");

  public Route {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(access, "access");
    if (prefix == null || !PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException("path prefix '" + prefix + "' must start with / and hold only URL path characters");
    }
    if (service == null || !SERVICE.matcher(service).matches()) {
      throw new IllegalArgumentException("service '" + service + "' is not a service name");
    }
    if (timeout == null || timeout.isZero() || timeout.isNegative()) {
      throw new IllegalArgumentException("timeout must be positive");
    }
    if (retries < 0 || retries > MAX_RETRIES) {
      throw new IllegalArgumentException("retries must be 0 to " + MAX_RETRIES);
    }
    if (policy == Policy.CONSISTENT_HASH && (hashOn == null || !HASH.matcher(hashOn).matches())) {
      throw new IllegalArgumentException("consistent-hash needs hash=header:NAME or hash=cookie:NAME");
    }
    if (policy != Policy.CONSISTENT_HASH && hashOn != null) {
      throw new IllegalArgumentException("hash= is only for policy=consistent-hash");
    }
    if (maxBody < 0) {
      throw new IllegalArgumentException("maxBody must be a size such as 64k, 10m or 4g");
    }
  }

  /** Reads one route line; throws {@link IllegalArgumentException} naming what is wrong. */
  public static Route parse(String line) {
    String[] words = line.trim().split("\\s+");
    if (words.length < 2) {
      throw new IllegalArgumentException("route '" + line.trim() + "' needs a path prefix and a service");
    }
    Policy policy = Policy.ROUND_ROBIN;
    Duration timeout = DEFAULT_TIMEOUT;
    int retries = DEFAULT_RETRIES;
    String hash = null;
    long maxBody = 0;
    Access access = Access.OPEN;
    for (int i = 2; i < words.length; i++) {
      String[] kv = words[i].split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("route word '" + words[i] + "' is not key=value");
      }
      switch (kv[0]) {
        case "policy" -> policy = Policy.of(kv[1]);
        case "timeout" -> {
          timeout = Settings.parseDuration(kv[1]);
          if (timeout == null) {
            throw new IllegalArgumentException("timeout '" + kv[1] + "' is not a duration such as 500ms, 30s or 5m");
          }
        }
        case "retries" -> {
          try {
            retries = Integer.parseInt(kv[1]);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("retries '" + kv[1] + "' is not a number");
          }
        }
        case "hash" -> hash = kv[1];
        case "maxBody" -> {
          maxBody = Settings.parseSize(kv[1]);
          if (maxBody <= 0) {
            throw new IllegalArgumentException("maxBody '" + kv[1] + "' is not a size such as 64k, 10m or 4g");
          }
        }
        case "auth" -> access = Access.auth(access, kv[1]);
        case "scopes" -> access = Access.scopes(access, kv[1]);
        default -> throw new IllegalArgumentException("unknown route setting '" + kv[0] + "' (policy, timeout, retries, hash, maxBody, auth, scopes)");
      }
    }
    return new Route(words[0], words[1], policy, timeout, retries, hash, maxBody, access);
  }

  /** The line this route is written as. */
  public String format() {
    return prefix + " " + service + " policy=" + policy.id() + " timeout=" + Settings.format(timeout) + " retries=" + retries
      + (hashOn == null ? "" : " hash=" + hashOn)
      + (maxBody == 0 ? "" : " maxBody=" + Settings.formatSize(maxBody))
      + access.format();
  }

  /** Whether the request path falls under this route: {@code /api/} serves {@code /api/x}, {@code /chat} serves {@code /chat} and {@code /chat/x}. */
  public boolean matches(String path) {
    if (!path.startsWith(prefix)) {
      return false;
    }
    return prefix.endsWith("/") || path.length() == prefix.length() || path.charAt(prefix.length()) == '/' || path.charAt(prefix.length()) == '?';
  }
}
