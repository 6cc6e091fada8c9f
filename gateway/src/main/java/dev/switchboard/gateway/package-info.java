/**
 * The clustered BFF gateway: one verticle instance per core sharing one port. A request moves
 * forward through one chain of stages, one package each: {@code edge} (ids, rate limits, sizes,
 * CORS), then what serves its path — {@code forward} (proxied HTTP, WebSocket and TCP routes),
 * {@code compose} (bus routes and BFF endpoints) or {@code bridge} (browsers on the bus) — and every
 * call to a service node goes through {@code upstream} (pick, admit, send, record, retry).
 * {@code config} holds the settings every stage reads; {@code ops} the admin port.
 */
package dev.switchboard.gateway;
