/**
 * The gateway's settings: its options, the edge's, and the one-line forms of routes, TCP routes,
 * bus routes and BFF endpoints, each parsed and validated where it is read.
 */
package dev.switchboard.gateway.config;
