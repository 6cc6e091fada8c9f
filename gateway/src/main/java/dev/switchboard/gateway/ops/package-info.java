/**
 * The admin port: health, readiness, Prometheus metrics and the live dashboard of the cluster.
 */
package dev.switchboard.gateway.ops;
