/**
 * HTTP helpers shared by the services' servers and routers: JSON error answers for every status a
 * router or the HTTP decoder can produce, RFC 9112 framing at the door, the client behind trusted
 * proxies, and the access log with each request's scope (its id in every log line, by the MDC).
 */
package dev.switchboard.shared.web;
