/**
 * HTTP helpers shared by the services' routers: JSON error answers for every status a router or
 * the HTTP decoder can produce.
 */
package dev.switchboard.shared.web;
