/**
 * Proxied routes: HTTP requests and WebSockets under a path prefix, and TCP ports, relayed to a
 * node with backpressure both ways; bodies reach the node whole or not at all.
 */
package dev.switchboard.gateway.forward;
