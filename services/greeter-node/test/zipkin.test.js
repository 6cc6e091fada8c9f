// The greeter's Zipkin exporter against a fake Zipkin (a local HTTP server on port 0 that keeps
// what is POSTed to it): the JSON it sends, batching, the queue's bound, and collectors that are
// down, failing or silent. Run by systemtest's GreeterNodeSuiteTest in the Maven build.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { ZipkinExporter, toZipkin } from '../zipkin.js';

const servers = [];
after(() => {
  for (const server of servers) {
    server.closeAllConnections?.();
    server.close();
  }
});

/** A fake Zipkin: `posts` has each request's path, content type and parsed body; `status` is what it answers. */
async function zipkin({ status = 202, silent = false } = {}) {
  const fake = { posts: [], waiters: [], status };
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      fake.posts.push({
        method: request.method, path: request.url, type: request.headers['content-type'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      fake.waiters = fake.waiters.filter((waiter) => !waiter());
      if (!silent) {
        response.writeHead(fake.status).end();
      }
    });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  fake.url = `http://127.0.0.1:${server.address().port}/api/v2/spans`;
  /** Resolves once `count` POSTs arrived; rejects after 5 s. */
  fake.received = (count) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${fake.posts.length} of ${count} POSTs within 5 s`)), 5000);
    const check = () => {
      if (fake.posts.length >= count) {
        clearTimeout(timer);
        resolve(fake.posts);
        return true;
      }
      return false;
    };
    if (!check()) {
      fake.waiters.push(check);
    }
  });
  return fake;
}

/** A URL where nothing listens: a port that was just free. */
async function nobody() {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return `http://127.0.0.1:${port}/api/v2/spans`;
}

let sequence = 0;
function span(overrides = {}) {
  sequence++;
  return {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: sequence.toString(16).padStart(16, 'a'),
    parentSpanId: '00f067aa0ba902b7',
    name: 'greeter.hello',
    kind: 'SERVER',
    startMicros: 1_700_000_000_000_000 + sequence,
    durationMicros: 1234,
    attributes: { 'messaging.system': 'vertx-eventbus', 'messaging.destination.name': 'greeter.hello' },
    error: undefined,
    ...overrides,
  };
}

test('a span in Zipkin v2 JSON: ids, parent, kind, microseconds, tags, the error tag', () => {
  assert.deepEqual(toZipkin(span({ spanId: '1111111111111111' }), 'greeter-node'), {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    id: '1111111111111111',
    parentId: '00f067aa0ba902b7',
    name: 'greeter.hello',
    kind: 'SERVER',
    timestamp: 1_700_000_000_000_000 + sequence,
    duration: 1234,
    localEndpoint: { serviceName: 'greeter-node' },
    tags: { 'messaging.system': 'vertx-eventbus', 'messaging.destination.name': 'greeter.hello' },
  });
  const failed = toZipkin(span({ kind: 'CONSUMER', error: 'name must be a non-blank string', durationMicros: 0 }), 'x');
  assert.equal(failed.tags.error, 'name must be a non-blank string');
  assert.equal(failed.kind, 'CONSUMER');
  assert.equal(failed.duration, 1, 'Zipkin reads 0 as no duration');
});

test('spans queued within an interval go in one POST to the endpoint, as JSON', async () => {
  const fake = await zipkin();
  const exporter = new ZipkinExporter(fake.url, { interval: 100 });
  try {
    exporter.add(span());
    exporter.add(span());
    exporter.add(span({ error: 'boom' }));
    const [post] = await fake.received(1);
    assert.equal(post.method, 'POST');
    assert.equal(post.path, '/api/v2/spans');
    assert.equal(post.type, 'application/json');
    assert.equal(post.body.length, 3);
    assert.ok(post.body.every((s) => s.localEndpoint.serviceName === 'greeter-node' && s.parentId === '00f067aa0ba902b7'));
    assert.equal(post.body[2].tags.error, 'boom');
    assert.equal(new Set(post.body.map((s) => s.id)).size, 3);
    await exporter.flush(); // waits for the POST under way to be answered
    assert.equal(exporter.sent, 3);
  } finally {
    await exporter.close();
  }
});

test('a flush sends maxBatch spans a POST, one POST at a time', async () => {
  const fake = await zipkin();
  const exporter = new ZipkinExporter(fake.url, { interval: 60_000, maxBatch: 2 });
  try {
    for (let i = 0; i < 5; i++) {
      exporter.add(span());
    }
    await exporter.flush();
    assert.deepEqual(fake.posts.map((p) => p.body.length), [2, 2, 1]);
    assert.equal(exporter.queue.length, 0);
    await exporter.flush();
    assert.equal(fake.posts.length, 3, 'nothing queued: nothing sent');
  } finally {
    await exporter.close();
  }
});

test('the queue is bounded: spans beyond it are dropped, counted, and logged once', async () => {
  const fake = await zipkin();
  const lines = [];
  const exporter = new ZipkinExporter(fake.url, { interval: 60_000, maxQueue: 3, log: (line) => lines.push(line) });
  try {
    for (let i = 0; i < 10; i++) {
      exporter.add(span());
    }
    assert.equal(exporter.queue.length, 3);
    assert.equal(exporter.dropped, 7);
    assert.equal(lines.filter((l) => /dropping spans/.test(l)).length, 1, lines.join('\n'));
    await exporter.flush();
    assert.deepEqual(fake.posts.map((p) => p.body.length), [3]);
    assert.ok(lines.some((l) => /7 spans were dropped/.test(l)), lines.join('\n'));
    exporter.add(span());
    assert.equal(exporter.queue.length, 1, 'room again after a send');
  } finally {
    await exporter.close();
  }
});

test('a collector that is down, failing or silent: flush resolves, nothing throws, the failure is logged once', async () => {
  const down = await nobody();
  const failing = await zipkin({ status: 500 });
  const silent = await zipkin({ silent: true });
  for (const url of [down, failing.url, silent.url]) {
    const lines = [];
    const exporter = new ZipkinExporter(url, { interval: 60_000, requestTimeout: 300, log: (line) => lines.push(line) });
    try {
      exporter.add(span());
      await exporter.flush();
      exporter.add(span());
      await exporter.flush();
      assert.equal(exporter.failed, 2, url);
      assert.equal(exporter.sent, 0);
      assert.equal(lines.filter((l) => /cannot send spans/.test(l)).length, 1, lines.join('\n'));
    } finally {
      await exporter.close();
    }
  }
  assert.equal(failing.posts.length, 2);
});

test('once the collector takes spans again, that is logged and they go', async () => {
  const fake = await zipkin({ status: 503 });
  const lines = [];
  const exporter = new ZipkinExporter(fake.url, { interval: 60_000, log: (line) => lines.push(line) });
  try {
    exporter.add(span());
    await exporter.flush();
    assert.equal(exporter.failed, 1);
    fake.status = 202;
    exporter.add(span());
    await exporter.flush();
    assert.equal(exporter.sent, 1);
    assert.deepEqual(lines.map((l) => l.replace(/ \(.*\);/, ';')), [
      `zipkin: cannot send spans to ${fake.url}; dropping them until it takes them again`,
      `zipkin: sending spans to ${fake.url} again`,
    ]);
    assert.match(lines[0], /HTTP 503/);
  } finally {
    await exporter.close();
  }
});

test('close sends what is queued, and is bounded when the collector does not answer', async () => {
  const fake = await zipkin();
  const exporter = new ZipkinExporter(fake.url, { interval: 60_000 });
  exporter.add(span());
  exporter.add(span());
  await exporter.close();
  assert.deepEqual(fake.posts.map((p) => p.body.length), [2]);
  exporter.add(span());
  assert.equal(exporter.queue.length, 0, 'nothing is queued once closed');

  const silent = await zipkin({ silent: true });
  const stuck = new ZipkinExporter(silent.url, { interval: 60_000, requestTimeout: 30_000 });
  stuck.add(span());
  const started = Date.now();
  await stuck.close(200);
  assert.ok(Date.now() - started < 5000, `close took ${Date.now() - started} ms`);
});
