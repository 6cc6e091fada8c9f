// Runs against a real bridge: ClientsIT (services/bridge) starts the bridge jar clustered with a JVM
// node serving test.echo, test.fail, test.silent, test.call, test.publish and test.headers, and sets BRIDGE_*.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { connect, BridgeError } from '../index.js';

const HOST = process.env.BRIDGE_HOST || '127.0.0.1';
const PORT = Number(process.env.BRIDGE_PORT);
const TOKEN = process.env.BRIDGE_TOKEN;
const LIMITED = process.env.BRIDGE_TOKEN_LIMITED;
if (!PORT || !TOKEN || !LIMITED) {
  throw new Error('BRIDGE_PORT, BRIDGE_TOKEN and BRIDGE_TOKEN_LIMITED must be set (ClientsIT sets them)');
}

const clients = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

async function open(options = {}) {
  const client = await connect({ host: HOST, port: PORT, token: TOKEN, ...options });
  clients.push(client);
  return client;
}

let unique = 0;
const name = (prefix) => `${prefix}.${process.pid}.${++unique}`;

async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected a rejection');
}

test('request and reply with headers', async () => {
  const bus = await open();
  const reply = await bus.request('test.echo', { n: 1, text: 'héllo' }, { headers: { trace: 'abc' } });
  assert.deepEqual(reply.body, { n: 1, text: 'héllo' });
  assert.equal(reply.headers.echoed, 'true');
  assert.equal(reply.expectsReply, false);
});

test('a wrong token is refused', async () => {
  const error = await rejection(connect({ host: HOST, port: PORT, token: 'not-the-token-0123456789' }));
  assert.ok(error instanceof BridgeError);
  assert.equal(error.code, 'auth_failed');
});

test('a limited token is denied what needs an authority, naming the address', async () => {
  const limited = await open({ token: LIMITED });
  const denied = await rejection(limited.register('secret.plans', () => {}));
  assert.equal(denied.code, 'access_denied');
  assert.equal(denied.address, 'secret.plans');
  const request = await rejection(limited.request('secret.plans', {}));
  assert.equal(request.code, 'access_denied');
  assert.equal(request.address, 'secret.plans');
  const admin = await open();
  await admin.register('secret.plans', () => 'ok');
});

test('failures: recipient failure, no handlers, timeout', async () => {
  const bus = await open();
  const failed = await rejection(bus.request('test.fail', {}));
  assert.equal(failed.code, 'recipient_failure');
  assert.equal(failed.failureCode, 42);
  assert.equal(failed.message, 'failed on purpose');
  const nobody = await rejection(bus.request('test.nobody', {}));
  assert.equal(nobody.code, 'no_handlers');
  const silent = await rejection(bus.request('test.silent', {}, { timeout: 300 }));
  assert.equal(silent.code, 'timeout');
  const denied = await rejection(bus.send('private.address', 1));
  assert.equal(denied.code, 'access_denied');
});

test('a published message reaches a registered handler', async () => {
  const bus = await open();
  const address = name('client.news');
  const received = new Promise((resolve) => bus.register(address, (m) => resolve(m)).catch(resolve));
  await new Promise((r) => setImmediate(r));
  await bus.request('test.publish', { address, body: { headline: 'hi' } });
  const message = await received;
  assert.deepEqual(message.body, { headline: 'hi' });
  assert.equal(message.isSend, false);
});

test('JVM to Node and back: a handler answers and fails requests from the bus', async () => {
  const bus = await open();
  const address = name('client.calc');
  await bus.register(address, async (m) => {
    if (m.body.b === undefined) {
      throw Object.assign(new Error('b missing'), { failureCode: 422 });
    }
    return m.body.a + m.body.b;
  });
  const reply = await bus.request('test.call', { address, body: { a: 2, b: 3 } });
  assert.deepEqual(reply.body, { reply: 5 });
  const failed = await rejection(bus.request('test.call', { address, body: { a: 2 } }));
  assert.equal(failed.failureCode, 422);
  assert.equal(failed.message, 'b missing');

  const explicit = name('client.explicit');
  await bus.register(explicit, (m) => m.fail(409, 'conflict'));
  const conflict = await rejection(bus.request('test.call', { address: explicit, body: {} }));
  assert.equal(conflict.failureCode, 409);
});

test('registering twice keeps one consumer; unregister stops delivery', async () => {
  const bus = await open();
  const address = name('client.dup');
  const seen = [];
  let sawB;
  const gotB = new Promise((r) => { sawB = r; });
  const handler = (m) => { seen.push(m.body); if (m.body === 'b') sawB(); };
  await bus.register(address, handler);
  await bus.register(address, handler);
  await bus.request('test.publish', { address, body: 'a' });
  await bus.request('test.publish', { address, body: 'b' });
  await gotB;
  assert.deepEqual(seen, ['a', 'b']);
  await bus.unregister(address);
  // the cluster learns of the unregistration shortly after the ok: ask until nobody handles it
  let gone;
  for (let i = 0; i < 20; i++) {
    gone = await rejection(bus.request('test.call', { address, body: 'c', timeout: 500 }));
    if (/no handlers/i.test(gone.message)) break;
  }
  assert.equal(gone.code, 'recipient_failure');
  assert.match(gone.message, /no handlers/i);
  assert.deepEqual(seen, ['a', 'b'], 'nothing delivered after unregister');
});

test('reconnects after the connection is cut, registers its handlers again', async () => {
  const sockets = new Set();
  const proxy = net.createServer((inbound) => {
    const outbound = net.connect({ host: HOST, port: PORT });
    sockets.add(inbound).add(outbound);
    inbound.pipe(outbound).pipe(inbound);
    const drop = () => { inbound.destroy(); outbound.destroy(); };
    inbound.on('error', drop).on('close', drop);
    outbound.on('error', drop).on('close', drop);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  try {
    const bus = await open({ port: proxy.address().port, reconnectDelay: 50 });
    const address = name('client.survivor');
    await bus.register(address, (m) => `still here: ${m.body}`);
    const reconnected = once(bus, 'connected');
    const lost = await rejectionOrNull(bus, sockets);
    assert.ok(lost instanceof BridgeError, `the request in flight rejects, got ${lost}`);
    assert.equal(lost.code, 'connection_lost');
    await reconnected;
    const direct = await open();
    const reply = await direct.request('test.call', { address, body: 'ping' });
    assert.deepEqual(reply.body, { reply: 'still here: ping' });
  } finally {
    for (const s of sockets) s.destroy();
    proxy.close();
  }
});

async function rejectionOrNull(bus, sockets) {
  const pending = bus.request('test.silent', {}, { timeout: 20_000 }).then(() => null, (e) => e);
  for (const s of sockets) s.destroy();
  sockets.clear();
  return pending;
}

test('pings are answered while the connection is idle', async () => {
  const bus = await open({ pingInterval: 50 });
  let pongs = 0;
  const original = bus.onFrame.bind(bus);
  bus.onFrame = (frame) => { if (frame.type === 'pong') pongs++; original(frame); };
  const started = Date.now();
  while (pongs < 3 && Date.now() - started < 5000) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(pongs >= 3, `pongs: ${pongs}`);
});

/** A TCP proxy to the bridge whose connections a test can cut, or hold (the bridge's bytes are dropped). */
async function proxy() {
  const pairs = new Set();
  const server = net.createServer((inbound) => {
    const outbound = net.connect({ host: HOST, port: PORT });
    const pair = { inbound, outbound, held: false };
    pairs.add(pair);
    inbound.pipe(outbound);
    outbound.on('data', (chunk) => { if (!pair.held) inbound.write(chunk); });
    const drop = () => { inbound.destroy(); outbound.destroy(); pairs.delete(pair); };
    inbound.on('error', drop).on('close', drop);
    outbound.on('error', drop).on('close', drop);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: server.address().port,
    hold() { for (const pair of pairs) pair.held = true; },
    close() { for (const pair of pairs) { pair.inbound.destroy(); pair.outbound.destroy(); } server.close(); },
  };
}

test('a dead connection: requests time out in the client, the ping timeout drops it, the client comes back', async () => {
  const relay = await proxy();
  try {
    const bus = await open({ port: relay.port, reconnectDelay: 50, pingInterval: 100, pingTimeout: 2500 });
    const address = name('client.dead');
    await bus.register(address, () => 'back');
    const errors = [];
    bus.on('error', (e) => errors.push(e));
    // not events.once: it would reject on the 'error' event that reports the missing pong
    const reconnected = new Promise((resolve) => bus.once('connected', resolve));
    relay.hold();
    const started = Date.now();
    const error = await rejection(bus.request('test.echo', 'lost in the void', { timeout: 100 }));
    assert.equal(error.code, 'timeout');
    assert.ok(Date.now() - started < 5000);
    await reconnected;
    assert.ok(errors.some((e) => /no pong/.test(e.message)), 'the missing pong was reported');
    const direct = await open();
    const reply = await direct.request('test.call', { address, body: null });
    assert.deepEqual(reply.body, { reply: 'back' });
  } finally {
    relay.close();
  }
});

test('a frame over maxFrameSize is refused by the client, and the connection stays', async () => {
  const bus = await open();
  let dropped = false;
  bus.on('disconnected', () => { dropped = true; });
  const big = 'x'.repeat(1024 * 1024);
  const request = await rejection(bus.request('test.echo', big));
  assert.equal(request.code, 'frame_too_large');
  assert.equal(request.limit, 1024 * 1024);
  const publish = await rejection(bus.publish('test.news', big));
  assert.equal(publish.code, 'frame_too_large');
  const cyclic = {};
  cyclic.self = cyclic;
  const notJson = await rejection(bus.send('test.echo', cyclic));
  assert.ok(notJson instanceof BridgeError);
  assert.equal(notJson.code, 'invalid_body');
  const reply = await bus.request('test.echo', 'still open');
  assert.equal(reply.body, 'still open');
  assert.equal(dropped, false);
});

test('the CommonJS entry is the same client', async () => {
  const require = createRequire(import.meta.url);
  const cjs = require('../index.cjs');
  assert.equal(cjs.BridgeError, BridgeError);
  const bus = await cjs.connect({ host: HOST, port: PORT, token: TOKEN });
  clients.push(bus);
  const error = await rejection(bus.request('test.nobody', {}));
  assert.ok(error instanceof BridgeError);
  assert.equal(error.code, 'no_handlers');
  assert.equal(error.failureType, 'NO_HANDLERS');
});

test('a reply that expects a reply: a conversation between two clients', async () => {
  const server = await open();
  const address = name('client.conversation');
  let second;
  const gotSecond = new Promise((resolve) => { second = resolve; });
  await server.register(address, async (m) => {
    const answer = await m.request({ question: `who is ${m.body}?` });
    second(answer.body);
    if (answer.expectsReply) await answer.reply('thanks');
  });
  const caller = await open();
  const first = await caller.request(address, 'Ada');
  assert.deepEqual(first.body, { question: 'who is Ada?' });
  assert.equal(first.expectsReply, true);
  const last = await first.request('a mathematician');
  assert.equal(await gotSecond, 'a mathematician');
  assert.equal(last.body, 'thanks');
});

test('over TLS: the server certificate is checked against the given CA', async () => {
  // a TLS front (self-signed certificate for 127.0.0.1, made with openssl) relaying to the bridge
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-tls-'));
  const server = [];
  try {
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1',
        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' });
    } catch (error) {
      assert.fail(`openssl is needed to make the test certificate: ${error.message}`);
    }
    const cert = fs.readFileSync(path.join(dir, 'cert.pem'));
    const front = tls.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert }, (inbound) => {
      const outbound = net.connect({ host: HOST, port: PORT });
      inbound.pipe(outbound).pipe(inbound);
      const drop = () => { inbound.destroy(); outbound.destroy(); };
      inbound.on('error', drop).on('close', drop);
      outbound.on('error', drop).on('close', drop);
      server.push(inbound, outbound);
    });
    server.push(front);
    front.listen(0, '127.0.0.1');
    await once(front, 'listening');
    const port = front.address().port;

    const bus = await open({ port, tls: { ca: cert } });
    const reply = await bus.request('test.echo', 'sealed');
    assert.equal(reply.body, 'sealed');
    await bus.close();

    const untrusted = await rejection(connect({ host: HOST, port, token: TOKEN, tls: {} }));
    assert.equal(untrusted.code, 'connection_lost');
    assert.match(untrusted.message, /self.signed/i);
  } finally {
    for (const s of server) (s.close ? s.close() : s.destroy());
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('concurrent registers of one address: one registration, the last handler; a refusal reaches every caller', async () => {
  const bus = await open();
  const address = name('client.concurrent');
  const calls = [];
  await Promise.all([
    bus.register(address, () => { calls.push('first'); return 'first'; }),
    bus.register(address, () => { calls.push('second'); return 'second'; }),
  ]);
  const reply = await bus.request('test.call', { address, body: null });
  assert.deepEqual(reply.body, { reply: 'second' });
  assert.deepEqual(calls, ['second']);

  const limited = await open({ token: LIMITED });
  const refusals = await Promise.all([
    rejection(limited.register('secret.concurrent', () => {})),
    rejection(limited.register('secret.concurrent', () => {})),
  ]);
  assert.deepEqual(refusals.map((e) => e.code), ['access_denied', 'access_denied']);
  const again = await rejection(limited.register('secret.concurrent', () => {}));
  assert.equal(again.code, 'access_denied', 'a refused address is not kept as registered');
});

test('a reply that cannot be sent fails the request at once (413 too large, 500 not JSON)', async () => {
  const bus = await open();
  const huge = name('client.huge');
  await bus.register(huge, () => 'x'.repeat(1024 * 1024));
  const tooLarge = await rejection(bus.request('test.call', { address: huge, body: null, timeout: 20_000 }, { timeout: 20_000 }));
  assert.equal(tooLarge.failureCode, 413);
  assert.match(tooLarge.message, /over the limit/);
  const cyclic = name('client.cyclic');
  await bus.register(cyclic, () => { const o = {}; o.self = o; return o; });
  const notJson = await rejection(bus.request('test.call', { address: cyclic, body: null, timeout: 20_000 }, { timeout: 20_000 }));
  assert.equal(notJson.failureCode, 500);
  assert.match(notJson.message, /cannot be written as JSON/);
});

// ---- trace context: the JVM side sends with a traceparent (test.call, test.publish take headers)
// and test.headers answers with the headers it got

const hex = (bytes) => crypto.randomBytes(bytes).toString('hex');

/** `promise`, or a rejection after `ms`. */
async function within(promise, what, ms = 10_000) {
  let timer;
  try {
    return await Promise.race([promise, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(what)), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

test('a traced request from the JVM: the handler continues the trace, its request carries it, onSpan records it', async () => {
  let recorded;
  const spanned = new Promise((resolve) => { recorded = resolve; });
  const spans = [];
  const bus = await open({ onSpan: (span) => { spans.push(span); recorded(span); } });
  const address = name('client.traced');
  let trace;
  await bus.register(address, async (m) => {
    trace = m.trace;
    const seen = await bus.request('test.headers', null, { parent: m });
    return seen.body.headers;
  });
  const traceId = hex(16);
  const parent = hex(8);
  const before = Date.now() * 1000;
  const reply = await bus.request('test.call', {
    address, body: null, headers: { traceparent: `00-${traceId}-${parent}-01`, tracestate: 'jvm=1' },
  });
  const after = Date.now() * 1000;

  assert.equal(trace.traceId, traceId);
  assert.equal(trace.parentSpanId, parent);
  assert.equal(trace.sampled, true);
  assert.match(trace.spanId, /^[0-9a-f]{16}$/);
  assert.notEqual(trace.spanId, parent);
  const forwarded = reply.body.reply;
  assert.equal(forwarded.traceparent, `00-${traceId}-${trace.spanId}-01`, 'the JVM got the handler span as the parent');
  assert.equal(forwarded.tracestate, 'jvm=1');

  const span = await within(spanned, 'onSpan was not called');
  assert.equal(span.traceId, traceId);
  assert.equal(span.spanId, trace.spanId);
  assert.equal(span.parentSpanId, parent);
  assert.equal(span.kind, 'SERVER');
  assert.equal(span.name, address);
  assert.equal(span.attributes['messaging.destination.name'], address);
  assert.equal(span.attributes['messaging.system'], 'vertx-eventbus');
  assert.equal(span.attributes['messaging.operation.name'], 'send');
  assert.equal(span.error, undefined);
  assert.ok(span.startMicros >= before && span.startMicros <= after, `start ${span.startMicros} within ${before}..${after}`);
  assert.ok(span.durationMicros > 0 && span.startMicros + span.durationMicros <= after + 1000,
    `duration ${span.durationMicros} µs ends by ${after}`);

  // a failed one, published with an unsampled parent the other way (CONSUMER), then a sampled one:
  // when the last is recorded, the unsampled one would have been too
  const failing = name('client.traced.fail');
  await bus.register(failing, (m) => m.fail(409, 'taken'));
  const failed = await rejection(bus.request('test.call', { address: failing, body: null, headers: { traceparent: `00-${traceId}-${parent}-01` } }));
  assert.equal(failed.failureCode, 409);
  const unsampledTrace = hex(16);
  let quiet;
  const quietSeen = new Promise((resolve) => { quiet = resolve; });
  const news = name('client.traced.news');
  await bus.register(news, async (m) => {
    const seen = await bus.request('test.headers', null, { parent: m });
    quiet({ trace: m.trace, headers: seen.body.headers });
  });
  await bus.request('test.publish', { address: news, body: null, headers: { traceparent: `00-${unsampledTrace}-${parent}-00` } });
  const unsampled = await within(quietSeen, 'the unsampled message did not arrive');
  assert.equal(unsampled.trace.sampled, false);
  assert.equal(unsampled.headers.traceparent, `00-${unsampledTrace}-${unsampled.trace.spanId}-00`, 'an unsampled trace is still propagated');

  const last = hex(16);
  const lastRecorded = new Promise((resolve) => { recorded = (s) => { if (s.traceId === last) resolve(s); }; });
  await bus.request('test.publish', { address: news, body: null, headers: { traceparent: `00-${last}-${parent}-01` } });
  const lastSpan = await within(lastRecorded, 'the last span was not recorded');
  assert.equal(lastSpan.kind, 'CONSUMER');
  assert.equal(lastSpan.attributes['messaging.operation.name'], 'publish');

  assert.deepEqual(spans.map((s) => [s.traceId, s.name, s.error]), [
    [traceId, address, undefined],
    [traceId, failing, 'taken'],
    [last, news, undefined],
  ]);
  assert.equal(spans[1].attributes['messaging.failure_code'], '409');
});

test('no traceparent, or an invalid one: no trace, nothing passed on, nothing recorded; a trace object is a parent too', async () => {
  const spans = [];
  const bus = await open({ onSpan: (span) => spans.push(span) });
  const address = name('client.untraced');
  await bus.register(address, async (m) => {
    const seen = await bus.request('test.headers', null, { parent: m });
    return { trace: m.trace ?? null, headers: seen.body.headers };
  });
  for (const headers of [{}, { traceparent: `00-${'0'.repeat(32)}-${hex(8)}-01` }, { traceparent: `00-${hex(16).toUpperCase()}-${hex(8)}-01` }]) {
    const reply = await bus.request('test.call', { address, body: null, headers });
    assert.equal(reply.body.reply.trace, null, JSON.stringify(headers));
    assert.equal(reply.body.reply.headers.traceparent, undefined);
  }
  assert.deepEqual(spans, []);

  const { continueTrace } = await import('../trace.js');
  const trace = continueTrace({ traceparent: `00-${hex(16)}-${hex(8)}-01` });
  const seen = await bus.request('test.headers', null, { parent: trace });
  assert.equal(seen.body.headers.traceparent, trace.traceparent);
  const own = `00-${hex(16)}-${hex(8)}-01`;
  const explicit = await bus.request('test.headers', null, { parent: trace, headers: { traceparent: own } });
  assert.equal(explicit.body.headers.traceparent, own, "the caller's traceparent wins");
});
