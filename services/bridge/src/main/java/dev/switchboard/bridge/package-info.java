/**
 * The TCP event bus bridge: programs in other languages join the event bus over a socket, speaking
 * the length-prefixed JSON frames of {@code vertx-tcp-eventbus-bridge}, with authentication,
 * permissions, limits and write backpressure. The protocol is specified in the module's README.
 */
package dev.switchboard.bridge;
