package dev.switchboard.gateway.upstream;

import java.util.Objects;

/**
 * Where the calls of one route go: the route's name in metrics and on the dashboard, the service
 * whose nodes serve it, which endpoint of those nodes is called ({@link Backends#HTTP} or
 * {@link Backends#TCP}), how a node is picked, and how many further nodes a failed call may try.
 * Made once per route by {@link Upstream#target}, shared by the gateway's instances.
 *
 * @param name     the route as metrics and the dashboard name it: {@code /api/}, {@code tcp-echo}, {@code /bff/web/home#files}
 * @param service  the registry name of the service
 * @param endpoint the endpoint of its nodes that is called
 * @param balancer picks one node of the available ones
 * @param retries  further nodes to try after a failed attempt
 */
public record Target(String name, String service, String endpoint, Balancer balancer, int retries) {

  public Target {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(balancer, "balancer");
    if (retries < 0) {
      throw new IllegalArgumentException("retries must not be negative");
    }
  }
}
