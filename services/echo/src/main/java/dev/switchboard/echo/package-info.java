/**
 * The TCP echo service: Node's {@code net.createServer(s => s.pipe(s))}, with backpressure, limits,
 * metrics, and an {@code echo} address on the event bus.
 */
package dev.switchboard.echo;
