// W3C trace context, read and written without a bridge: the header's grammar, hostile values, the
// trace a message continues, what a call on its behalf carries, and onSpan fed frames directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseTraceparent, formatTraceparent, newSpanId, continueTrace, withTrace, MAX_TRACEPARENT_LENGTH, MAX_TRACESTATE_LENGTH,
} from '../trace.js';
import { BridgeClient, BridgeError, Message } from '../index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const VALID = `00-${TRACE}-${PARENT}-01`;

test('a version 00 traceparent gives its trace id, parent span id and sampled flag', () => {
  assert.deepEqual(parseTraceparent(VALID), { traceId: TRACE, parentSpanId: PARENT, sampled: true });
  assert.equal(parseTraceparent(`00-${TRACE}-${PARENT}-00`).sampled, false);
  // only bit 0 is the sampled flag
  assert.equal(parseTraceparent(`00-${TRACE}-${PARENT}-03`).sampled, true);
  assert.equal(parseTraceparent(`00-${TRACE}-${PARENT}-02`).sampled, false);
});

test('a later version is read for its first four fields, when what follows starts with a dash', () => {
  assert.deepEqual(parseTraceparent(`cc-${TRACE}-${PARENT}-01`), { traceId: TRACE, parentSpanId: PARENT, sampled: true });
  assert.deepEqual(parseTraceparent(`cc-${TRACE}-${PARENT}-01-what-comes-next`), { traceId: TRACE, parentSpanId: PARENT, sampled: true });
  assert.equal(parseTraceparent(`cc-${TRACE}-${PARENT}-01x`), undefined);
});

test('anything else is no trace, and never an exception', () => {
  const hostile = [
    undefined, null, 0, 55, true, {}, [], [VALID], { toString: () => VALID }, Symbol('traceparent'),
    '', '00', VALID.slice(0, 54), `${VALID}-`, `${VALID}-01`, ` ${VALID}`, `${VALID} `, `${VALID}\n`,
    VALID.toUpperCase(), `00-${TRACE.toUpperCase()}-${PARENT}-01`, `00-${TRACE}-${PARENT.toUpperCase()}-01`, `00-${TRACE}-${PARENT}-0A`,
    `00-${'0'.repeat(32)}-${PARENT}-01`, `00-${TRACE}-${'0'.repeat(16)}-01`, `ff-${TRACE}-${PARENT}-01`,
    `00_${TRACE}_${PARENT}_01`, `00-${TRACE}-${PARENT}+01`, `0-0${TRACE}-${PARENT}-01`, `00-${TRACE.slice(1)}g-${PARENT}-01`,
    `00-${TRACE}-${PARENT}-0g`, `0g-${TRACE}-${PARENT}-01`, `00-${TRACE}-${PARENT.slice(1)}z-01`,
    // hex digits that are not ASCII: full-width 'ａ' and Arabic-Indic zero
    `00-${TRACE.slice(1)}ａ-${PARENT}-01`, `00-${TRACE}-${PARENT.slice(1)}\u0660-01`,
    `cc-${TRACE}-${PARENT}-01-${'x'.repeat(MAX_TRACEPARENT_LENGTH)}`,
    VALID.repeat(100_000),
  ];
  for (const value of hostile) {
    assert.equal(parseTraceparent(value), undefined, `refused: ${typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : String(typeof value)}`);
  }
});

test('span ids are random, 16 lowercase hex digits', () => {
  const ids = new Set();
  for (let i = 0; i < 1000; i++) {
    const id = newSpanId();
    assert.match(id, /^[0-9a-f]{16}$/);
    assert.notEqual(id, '0'.repeat(16));
    ids.add(id);
  }
  assert.equal(ids.size, 1000);
  assert.equal(formatTraceparent(TRACE, PARENT, true), VALID);
  assert.equal(formatTraceparent(TRACE, PARENT, false), `00-${TRACE}-${PARENT}-00`);
});

test('continueTrace: a new span of the same trace, whose traceparent names it', () => {
  const trace = continueTrace({ traceparent: VALID, tracestate: 'congo=t61rcWkgMzE' });
  assert.equal(trace.traceId, TRACE);
  assert.equal(trace.parentSpanId, PARENT);
  assert.equal(trace.sampled, true);
  assert.match(trace.spanId, /^[0-9a-f]{16}$/);
  assert.notEqual(trace.spanId, PARENT);
  assert.equal(trace.traceparent, `00-${TRACE}-${trace.spanId}-01`);
  assert.equal(trace.tracestate, 'congo=t61rcWkgMzE');
  assert.ok(Object.isFrozen(trace));
  assert.notEqual(continueTrace({ traceparent: VALID }).spanId, continueTrace({ traceparent: VALID }).spanId);
  // a later version is continued as version 00, with the flags 00 defines
  const later = continueTrace({ traceparent: `cc-${TRACE}-${PARENT}-ff-more` });
  assert.equal(later.traceparent, `00-${TRACE}-${later.spanId}-01`);
  const unsampled = continueTrace({ traceparent: `00-${TRACE}-${PARENT}-00` });
  assert.equal(unsampled.sampled, false);
  assert.equal(unsampled.traceparent, `00-${TRACE}-${unsampled.spanId}-00`);
});

test('continueTrace: header names in any case; headers of any shape', () => {
  assert.equal(continueTrace({ TraceParent: VALID, TRACESTATE: 'a=b' }).tracestate, 'a=b');
  for (const headers of [undefined, null, 'traceparent', 42, [VALID], { traceparent: 42 }, { traceparent: [VALID] },
    { traceparent: { toString: () => VALID } }, { Traceparent: null }, JSON.parse(`{"__proto__": {"traceparent": "${VALID}"}}`)]) {
    assert.equal(continueTrace(headers), undefined, JSON.stringify(headers));
  }
});

test('a tracestate that is too long or not printable ASCII is dropped; the trace goes on', () => {
  for (const tracestate of ['', 'a='.padEnd(MAX_TRACESTATE_LENGTH + 1, 'x'), 'a=é', 'a=b\nc=d', 'a=\u0000', 7, { a: 'b' }]) {
    const trace = continueTrace({ traceparent: VALID, tracestate });
    assert.equal(trace.traceId, TRACE);
    assert.equal(trace.tracestate, undefined, JSON.stringify(tracestate));
  }
  assert.equal(continueTrace({ traceparent: VALID, tracestate: 'a='.padEnd(MAX_TRACESTATE_LENGTH, 'x') }).tracestate.length, MAX_TRACESTATE_LENGTH);
});

test('withTrace: the parent span travels; a traceparent or tracestate of the caller wins', () => {
  const trace = continueTrace({ traceparent: VALID, tracestate: 'a=b' });
  assert.deepEqual(withTrace(undefined, trace), { traceparent: trace.traceparent, tracestate: 'a=b' });
  assert.deepEqual(withTrace({ x: '1' }, trace), { x: '1', traceparent: trace.traceparent, tracestate: 'a=b' });
  const own = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`;
  assert.deepEqual(withTrace({ traceparent: own }, trace), { traceparent: own });
  assert.deepEqual(withTrace({ TraceParent: own }, trace), { TraceParent: own });
  assert.deepEqual(withTrace({ tracestate: 'mine=1' }, trace), { tracestate: 'mine=1', traceparent: trace.traceparent });
  const headers = { x: '1' };
  for (const notATrace of [undefined, null, 'x', {}, { traceparent: 'garbage' }, { traceId: TRACE, spanId: PARENT }]) {
    assert.equal(withTrace(headers, notATrace), headers);
  }
});

test('Message.trace: made once, from the headers; undefined for no or a bad traceparent', () => {
  const message = new Message(null, { address: 'a', headers: { traceparent: VALID } });
  assert.equal(message.trace, message.trace);
  assert.equal(message.trace.parentSpanId, PARENT);
  assert.equal(new Message(null, { address: 'a' }).trace, undefined);
  assert.equal(new Message(null, { address: 'a', headers: { traceparent: VALID.toUpperCase() } }).trace, undefined);
  assert.equal(new Message(null, { address: 'a', headers: 'not an object' }).trace, undefined);
});

/** `promise`, or a rejection after 5 s. */
async function within(promise, what) {
  let timer;
  try {
    return await Promise.race([promise, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(what)), 5000); })]);
  } finally {
    clearTimeout(timer);
  }
}

/** A client that is not connected, fed message frames directly (only published ones: nothing is written back). */
function offline(onSpan) {
  const client = new BridgeClient({ onSpan });
  const errors = [];
  client.on('error', (error) => errors.push(error));
  return { client, errors };
}

function published(address, traceparent) {
  return { type: 'message', address, send: false, headers: traceparent === undefined ? {} : { traceparent }, body: null };
}

/** Resolves with the handler's message once it has run, rejects after a bound. */
function handled(client, address, handler = () => {}) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${address} was not handled`)), 5000);
    client.handlers.set(address, async (message) => {
      try {
        return await handler(message);
      } finally {
        clearTimeout(timer);
        setImmediate(() => resolve(message));
      }
    });
  });
}

test('onSpan gets a CONSUMER span for a published message of a sampled trace, with the handler error', async () => {
  const spans = [];
  const { client, errors } = offline((span) => spans.push(span));
  const before = Date.now() * 1000;
  const message = handled(client, 'client.news', () => { throw new Error('no room'); });
  client.onMessage(published('client.news', VALID));
  const seen = await message;
  const after = Date.now() * 1000;
  assert.equal(spans.length, 1);
  const [span] = spans;
  assert.equal(span.traceId, TRACE);
  assert.equal(span.spanId, seen.trace.spanId);
  assert.equal(span.parentSpanId, PARENT);
  assert.equal(span.name, 'client.news');
  assert.equal(span.kind, 'CONSUMER');
  assert.ok(span.startMicros >= before && span.startMicros <= after, `${span.startMicros} within ${before}..${after}`);
  assert.ok(Number.isInteger(span.durationMicros) && span.durationMicros >= 0 && span.durationMicros <= after - before + 1000);
  assert.deepEqual(span.attributes, {
    'messaging.system': 'vertx-eventbus', 'messaging.destination.name': 'client.news', 'messaging.operation.name': 'publish',
  });
  assert.equal(span.error, 'no room');
  assert.deepEqual(errors.map((e) => e.message), ['no room'], 'the handler error still takes its usual path');
});

test('no onSpan call for an unsampled trace, no trace, or a bad traceparent', async () => {
  const spans = [];
  const { client } = offline((span) => spans.push(span));
  for (const traceparent of [`00-${TRACE}-${PARENT}-00`, undefined, VALID.toUpperCase()]) {
    const message = handled(client, 'client.quiet');
    client.onMessage(published('client.quiet', traceparent));
    await message;
  }
  // a sampled one afterwards is recorded: the hook works, it was not called for the others
  const message = handled(client, 'client.quiet');
  client.onMessage(published('client.quiet', VALID));
  await message;
  assert.equal(spans.length, 1);
  assert.equal(spans[0].traceId, TRACE);
});

test('an onSpan that is not a function is refused at once', () => {
  assert.throws(() => new BridgeClient({ onSpan: 'zipkin' }), /onSpan must be a function/);
});

test('what onSpan throws or rejects with is reported, and handling goes on', async () => {
  for (const hook of [() => { throw new Error('exporter broke'); }, async () => { throw new Error('exporter broke'); }]) {
    const { client, errors } = offline(hook);
    const reported = new Promise((resolve) => client.once('error', resolve));
    const first = handled(client, 'client.news');
    client.onMessage(published('client.news', VALID));
    await first;
    const error = await within(reported, 'the onSpan failure was not reported');
    assert.ok(error instanceof BridgeError);
    assert.equal(error.code, 'on_span_failed');
    assert.match(error.message, /exporter broke/);
    const second = handled(client, 'client.news', () => 'still handled');
    client.onMessage(published('client.news', VALID));
    assert.equal((await second).address, 'client.news');
    assert.equal(errors.length >= 1, true);
  }
});
