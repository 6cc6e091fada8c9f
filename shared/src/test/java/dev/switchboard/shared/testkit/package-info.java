/**
 * Test kit for the service modules (shipped as this module's test-jar): start a service on port 0
 * in the test's Vert.x, wait for it and for anything else from the test's thread, always bounded
 * ({@link dev.switchboard.shared.testkit.TestKit#await}, {@code poll}, {@code awaitPoll}), start
 * an N-node Hazelcast cluster on loopback in one JVM, and put any WebSocket server through
 * RFC 6455 ({@link dev.switchboard.shared.testkit.WebSocketCorpus}, with
 * {@link dev.switchboard.shared.testkit.RawWebSocket} for what a client library will not send).
 */
package dev.switchboard.shared.testkit;
