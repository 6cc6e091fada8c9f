/**
 * The first stage of every request: its id, security headers, CORS, rate limits per client and
 * API key, a declared body size checked before any node is bothered, and the bearer token a route
 * asks for ({@link dev.switchboard.gateway.edge.TokenCheck}).
 */
package dev.switchboard.gateway.edge;
