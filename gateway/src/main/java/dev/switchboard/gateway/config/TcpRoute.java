package dev.switchboard.gateway.config;

import java.util.regex.Pattern;

/**
 * A TCP port of the gateway balanced over the {@code tcp} endpoints of a service's nodes, written
 * in configuration as one line: {@code 8999 echo policy=least-requests retries=2}. Each client
 * connection is relayed, both ways and with backpressure, to one node for its whole life.
 *
 * @param port           the gateway's port; 0 picks a free one
 * @param service        the registry name of the service whose nodes' {@code tcp} endpoints serve it
 * @param policy         how connections spread over the nodes ({@code consistent-hash} is for HTTP only)
 * @param retries        further nodes to try when a connection to one fails
 * @param maxConnections client connections open at once through this port, per gateway process
 */
public record TcpRoute(int port, String service, Policy policy, int retries, int maxConnections) {

  public static final int DEFAULT_RETRIES = 2;
  public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
  private static final Pattern SERVICE = Pattern.compile("[a-z][a-z0-9-]{0,62}");

  public TcpRoute {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be 0 to 65535");
    }
    if (service == null || !SERVICE.matcher(service).matches()) {
      throw new IllegalArgumentException("service '" + service + "' is not a service name");
    }
    if (policy == null || policy == Policy.CONSISTENT_HASH) {
      throw new IllegalArgumentException("policy must be round-robin, least-requests or power-of-two");
    }
    if (retries < 0 || retries > Route.MAX_RETRIES) {
      throw new IllegalArgumentException("retries must be 0 to " + Route.MAX_RETRIES);
    }
    if (maxConnections < 1 || maxConnections > 1_000_000) {
      throw new IllegalArgumentException("maxConnections must be 1 to 1000000");
    }
  }

  /** Reads one line; throws {@link IllegalArgumentException} naming what is wrong. */
  public static TcpRoute parse(String line) {
    String[] words = line.trim().split("\\s+");
    if (words.length < 2) {
      throw new IllegalArgumentException("TCP route '" + line.trim() + "' needs a port and a service");
    }
    int port = number("port", words[0]);
    Policy policy = Policy.ROUND_ROBIN;
    int retries = DEFAULT_RETRIES;
    int maxConnections = DEFAULT_MAX_CONNECTIONS;
    for (int i = 2; i < words.length; i++) {
      String[] kv = words[i].split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("TCP route word '" + words[i] + "' is not key=value");
      }
      switch (kv[0]) {
        case "policy" -> policy = Policy.of(kv[1]);
        case "retries" -> retries = number("retries", kv[1]);
        case "maxConnections" -> maxConnections = number("maxConnections", kv[1]);
        default -> throw new IllegalArgumentException("unknown TCP route setting '" + kv[0] + "' (policy, retries, maxConnections)");
      }
    }
    return new TcpRoute(port, words[1], policy, retries, maxConnections);
  }

  private static int number(String what, String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + " '" + text + "' is not a number");
    }
  }

  /** The endpoint name this port is announced and bound under: {@code tcp-echo}. */
  public String endpoint() {
    return "tcp-" + service;
  }

  public String format() {
    return port + " " + service + " policy=" + policy.id() + " retries=" + retries + " maxConnections=" + maxConnections;
  }
}
