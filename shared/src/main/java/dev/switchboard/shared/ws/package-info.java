/**
 * WebSocket checks written once for every side of a connection: a server's handshake check
 * ({@link dev.switchboard.shared.ws.WebSocketHandshake}), the per-connection guard that holds
 * frames, messages, pings and the outbound queue to RFC 6455 and to the
 * {@link dev.switchboard.shared.ws.WebSocketLimits} ({@link dev.switchboard.shared.ws.WebSocketGuard}),
 * and the close codes that may be sent ({@link dev.switchboard.shared.ws.CloseCodes}). What each
 * check answers is specified in {@code shared/README.md}; the test kit's {@code WebSocketCorpus}
 * puts any server through it.
 */
package dev.switchboard.shared.ws;
