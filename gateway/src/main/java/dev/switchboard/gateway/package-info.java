/**
 * The clustered BFF gateway: one verticle instance per core sharing one port, routing to the
 * service nodes that the cluster's service registry lists, with balancing, retries, health checks
 * and ejection.
 */
package dev.switchboard.gateway;
