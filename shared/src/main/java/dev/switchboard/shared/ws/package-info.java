/**
 * WebSocket checks written once, for every side of a connection: a server's handshake check, a
 * per-connection guard that holds frames, messages, pings and the outbound queue to RFC 6455 and
 * to a set of limits, and the close codes that may be sent. A server (chat), and both sides of a
 * relay (the gateway's connection from a client and its connection to a node), use the same code
 * and answer the same way. The test kit's {@code WebSocketCorpus} puts any server through it.
 *
 * <h2>Use</h2>
 * <pre>{@code
 * WebSocketLimits limits = new WebSocketLimits(maxFrame, maxMessage, writeQueueMax, pingRate, pingBurst);
 * HttpServer server = vertx.createHttpServer(limits.applyTo(new HttpServerOptions()))  // decoder limits, no compression
 *   .requestHandler(request -> {
 *     if (WebSocketHandshake.refuse(request)) {
 *       return;                                                  // answered: 405, 426 or 400
 *     }
 *     request.toWebSocket().onSuccess(ws -> WebSocketGuard.install(ws, limits, listener));
 *   });
 * // a client side (a relay's connection to its backend), the same guard:
 * wsClient = vertx.createWebSocketClient(limits.applyTo(new WebSocketClientOptions()));
 * wsClient.connect(options).onSuccess(ws -> WebSocketGuard.install(ws, limits, listener));
 * }</pre>
 * Install the guard in the callback that hands the WebSocket over, on its event loop, before
 * anything is read from it, on a WebSocket straight from Vert.x (a router's wrapper hides the
 * channel). The listener hears each refusal ({@code refused(Refusal)}) before the channel closes,
 * and each ping the guard answered ({@code pinged()}), since pings no longer reach Vert.x.
 *
 * <h2>The handshake ({@link dev.switchboard.shared.ws.WebSocketHandshake#refuse})</h2>
 * Checked in this order; each refusal has a JSON body {@code {"error": ...}}:
 * <table>
 *   <caption>Refused handshakes</caption>
 *   <tr><th>request</th><th>answer</th></tr>
 *   <tr><td>a method other than GET</td><td>405, {@code Allow: GET}</td></tr>
 *   <tr><td>not HTTP/1.1; no {@code websocket} token in {@code Upgrade}; no {@code upgrade} token in
 *       {@code Connection}</td><td>426, {@code Upgrade: websocket}</td></tr>
 *   <tr><td>{@code Sec-WebSocket-Version} missing, repeated or not 13</td>
 *       <td>426, {@code Sec-WebSocket-Version: 13}</td></tr>
 *   <tr><td>{@code Sec-WebSocket-Key} missing, repeated, or not the base64 of exactly 16 bytes</td>
 *       <td>400</td></tr>
 * </table>
 * Anything else is left to {@code toWebSocket()}, which answers 101 without extensions when
 * compression is off (and with {@code permessage-deflate} to a client that offers it when a server
 * turned it on with {@link dev.switchboard.shared.ws.PerMessageDeflate}).
 *
 * <h2>The guard ({@link dev.switchboard.shared.ws.WebSocketGuard})</h2>
 * A Netty handler between the frame decoder and Vert.x's handler. It sees every decoded frame
 * before Vert.x and every write after it. On a violation it writes one close frame (unless a close
 * frame was already sent), flushes, and closes the TCP connection at once, without a closing
 * handshake; frames that arrive after that are dropped.
 * <table>
 *   <caption>What the guard refuses, and the close code it sends</caption>
 *   <tr><th>received</th><th>close</th></tr>
 *   <tr><td>anything the decoder refuses: reserved bits without an extension, a reserved opcode, a
 *       fragmented control frame or one over 125 bytes, a continuation without a message or a new
 *       message inside one, a frame masked wrongly, a length not in its shortest form, a 1-byte
 *       close body</td><td>1002</td></tr>
 *   <tr><td>a frame longer than {@code maxFrame} (the decoder, from the header)</td><td>1009</td></tr>
 *   <tr><td>a close code that may not be sent: below 1000, 1004-1006, 1015-2999, 5000 and up
 *       ({@link dev.switchboard.shared.ws.CloseCodes#isValid})</td><td>1002</td></tr>
 *   <tr><td>a close reason, or a text message, that is not UTF-8 (RFC 3629: no overlong forms,
 *       surrogates, or code points above U+10FFFF). Text is checked incrementally: the fragment in
 *       which the bytes stop being UTF-8 is refused, and a message may not end inside a character;
 *       a character split across fragments is fine. Nothing of the message is kept</td><td>1007</td></tr>
 *   <tr><td>a message whose fragments add up to more than {@code maxMessage} bytes (a fragment is
 *       refused as soon as the sum passes)</td><td>1009</td></tr>
 *   <tr><td>reserved bits on a frame that reaches it: any, with no extension negotiated; with
 *       {@code permessage-deflate}, RSV1 anywhere but on a message's first frame (the inflater
 *       clears it there), and RSV2 or RSV3</td><td>1002</td></tr>
 *   <tr><td>with {@code permessage-deflate}: a frame that would inflate past {@code maxFrame} (the
 *       inflater stops one byte past it)</td><td>1009</td></tr>
 *   <tr><td>with {@code permessage-deflate}: compressed data that is not deflate</td><td>1002</td></tr>
 *   <tr><td>a ping when the peer's token bucket ({@code pingBurst} tokens, {@code pingRate} a
 *       second) is empty</td><td>1008</td></tr>
 *   <tr><td>after a flush, more than {@code writeQueueMax} bytes still waiting in the channel for
 *       the peer, whoever wrote them (pongs, Vert.x, the application); the close frame is attempted
 *       behind them</td><td>1008</td></tr>
 * </table>
 * Pings are answered by the guard, a pong with the same payload, flushed at the end of the read
 * that brought them; none after a close frame was sent. Pongs and valid close frames pass on to
 * Vert.x (which echoes a close). The guard keeps a few ints per connection (message bytes, UTF-8
 * state, ping tokens and time, flags) and allocates nothing per frame but the pongs.
 *
 * <p>What it does not see: the queue Vert.x keeps of its own for writes made while the channel is
 * not writable or from another thread. A writer that honours {@code writeQueueFull()} keeps that
 * to a few frames (Vert.x stops at 16); one that writes regardless should write on the event loop
 * through {@code guard.write} and {@code guard.flush}, as chat does. Bytes written that way pass
 * any extension's encoder untouched: a writer that compresses does so itself (chat's frames).
 *
 * <h2>Compression ({@link dev.switchboard.shared.ws.PerMessageDeflate})</h2>
 * Off by {@link dev.switchboard.shared.ws.WebSocketLimits#applyTo}, on both sides of a connection,
 * so nothing is inflated: what the gateway relays is never compressed. A server may turn
 * {@code permessage-deflate} on with {@code PerMessageDeflate.enable} and {@code bound}: Vert.x
 * 5.0.8's own negotiation inflates without any bound (Netty's {@code PerMessageDeflateDecoder}
 * built with {@code maxAllocation} 0, and the decoder's frame limit counts compressed bytes), so
 * {@code bound} replaces it, in each connection before its first request is read, by one whose
 * inflater stops at {@code maxFrame + 1} bytes a frame. The guard, after the inflater, counts the
 * inflated bytes against {@code maxFrame} and {@code maxMessage} as for any frame.
 */
package dev.switchboard.shared.ws;
