/**
 * The service nodes and the one way to call them: the cluster's nodes with their health and circuit
 * breakers, balancing per route, and {@link dev.switchboard.gateway.upstream.Upstream}, which picks,
 * admits, sends, records and retries for every protocol and caller.
 */
package dev.switchboard.gateway.upstream;
