/**
 * The first stage of every request: its id, security headers, CORS, rate limits per client and
 * API key, and a declared body size checked before any node is bothered.
 */
package dev.switchboard.gateway.edge;
