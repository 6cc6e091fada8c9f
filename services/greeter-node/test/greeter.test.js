// greeter.js as a process, between a fake bridge (a local TCP server speaking the frame protocol)
// and a fake Zipkin: a traced request is answered, and its span reaches Zipkin as a child of the
// caller's span, sent at the latest when SIGTERM stops the greeter.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { FrameDecoder, encodeFrame } from '../../bridge/clients/node/codec.js';
import { tracing, SERVICE_NAME } from '../greeter.js';

const GREETER = fileURLToPath(new URL('../greeter.js', import.meta.url));
const PATIENCE = 10_000;

const cleanup = [];
after(() => {
  for (const step of cleanup.reverse()) {
    step();
  }
});

/** `promise`, or a rejection naming `what` after PATIENCE. */
async function within(promise, what) {
  let timer;
  try {
    return await Promise.race([promise, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} within ${PATIENCE} ms`)), PATIENCE); })]);
  } finally {
    clearTimeout(timer);
  }
}

async function listening(server) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => { server.closeAllConnections?.(); server.close(); });
  return server.address().port;
}

test('the greeter exports only when SWITCHBOARD_TRACING_ENDPOINT is set, and refuses a bad one', async () => {
  assert.equal(tracing({}, () => {}), undefined);
  assert.equal(tracing({ SWITCHBOARD_TRACING_ENDPOINT: '  ' }, () => {}), undefined);
  for (const bad of ['localhost:9411', 'ftp://127.0.0.1/spans', 'http://']) {
    assert.throws(() => tracing({ SWITCHBOARD_TRACING_ENDPOINT: bad }, () => {}), /http or https URL/, bad);
  }
  const exporter = tracing({ SWITCHBOARD_TRACING_ENDPOINT: ' http://127.0.0.1:9411/api/v2/spans ' }, () => {});
  try {
    assert.equal(exporter.where, 'http://127.0.0.1:9411/api/v2/spans');
    assert.equal(exporter.serviceName, SERVICE_NAME);
  } finally {
    await exporter.close();
  }
});

test('a traced request: answered, and its span reaches Zipkin as a child of the caller, flushed on SIGTERM', async () => {
  const spans = [];
  let zipkinGot;
  const zipkinGotSpans = new Promise((resolve) => { zipkinGot = resolve; });
  const zipkinPort = await listening(http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      spans.push(...JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.writeHead(202).end();
      zipkinGot();
    });
  }));

  const traceId = crypto.randomBytes(16).toString('hex');
  const parent = crypto.randomBytes(8).toString('hex');
  let replied;
  const reply = new Promise((resolve) => { replied = resolve; });
  const bridgePort = await listening(net.createServer((socket) => {
    const send = (frame) => socket.write(encodeFrame(frame));
    const decoder = new FrameDecoder(1024 * 1024, (frame) => {
      if (frame.type === 'ping') {
        send({ type: 'pong', id: frame.id });
        return;
      }
      send({ type: 'ok', id: frame.id });
      if (frame.type === 'register') {
        send({
          type: 'message', address: frame.address, send: true, replyAddress: 'reply.1', body: { name: 'Ada' },
          headers: { traceparent: `00-${traceId}-${parent}-01` },
        });
      } else if (frame.type === 'send' && frame.address === 'reply.1') {
        replied(frame);
      }
    }, () => socket.destroy());
    socket.on('data', (chunk) => decoder.push(chunk));
    socket.on('error', () => {});
  }));

  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('SWITCHBOARD_')) {
      delete env[key];
    }
  }
  Object.assign(env, {
    SWITCHBOARD_BRIDGE_HOST: '127.0.0.1',
    SWITCHBOARD_BRIDGE_PORT: String(bridgePort),
    SWITCHBOARD_GREETER_NODE_HOST: '127.0.0.1',
    SWITCHBOARD_GREETER_NODE_ADMIN_PORT: '0',
    SWITCHBOARD_TRACING_ENDPOINT: `http://127.0.0.1:${zipkinPort}/api/v2/spans`,
  });
  const greeter = spawn(process.execPath, [GREETER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanup.push(() => greeter.kill('SIGKILL'));
  let output = '';
  greeter.stdout.on('data', (chunk) => { output += chunk; });
  greeter.stderr.on('data', (chunk) => { output += chunk; });
  const exited = once(greeter, 'exit');

  const answer = await within(reply, 'no reply from the greeter');
  assert.equal(answer.body.greeting, 'Hello, Ada!', output);
  assert.equal(answer.headers?.traceparent, undefined, 'a reply carries no traceparent');
  greeter.kill('SIGTERM');
  const [code] = await within(exited, 'the greeter did not exit on SIGTERM');
  assert.equal(code, 0, output);
  await within(zipkinGotSpans, 'no spans reached Zipkin');

  assert.equal(spans.length, 1, JSON.stringify(spans));
  const [span] = spans;
  assert.equal(span.traceId, traceId);
  assert.equal(span.parentId, parent);
  assert.match(span.id, /^[0-9a-f]{16}$/);
  assert.notEqual(span.id, parent);
  assert.equal(span.kind, 'SERVER');
  assert.equal(span.name, 'greeter.hello');
  assert.deepEqual(span.localEndpoint, { serviceName: 'greeter-node' });
  assert.equal(span.tags['messaging.destination.name'], 'greeter.hello');
  assert.ok(span.duration >= 1 && Math.abs(span.timestamp / 1000 - Date.now()) < 60_000, JSON.stringify(span));
  assert.match(output, /greeter-node sends spans to http:\/\/127\.0\.0\.1:\d+\/api\/v2\/spans/);
});
