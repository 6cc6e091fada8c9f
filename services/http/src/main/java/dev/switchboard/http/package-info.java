/**
 * The HTTP service: Node's {@code http.createServer} Hello World, a streaming echo of request
 * bodies, and a bridge from HTTP to the {@code echo} address on the event bus.
 */
package dev.switchboard.http;
