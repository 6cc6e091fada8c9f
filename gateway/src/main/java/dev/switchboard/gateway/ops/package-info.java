/**
 * The admin port: health, readiness, Prometheus metrics, the live dashboard of the cluster, and the
 * cluster's processes as targets for Prometheus to scrape.
 */
package dev.switchboard.gateway.ops;
