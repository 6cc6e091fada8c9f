import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BridgeClient } from '../index.js';

test('reconnect delays double from reconnectDelay up to maxReconnectDelay, with jitter in the upper half', () => {
  const client = new BridgeClient({ reconnectDelay: 100, maxReconnectDelay: 1000 });
  const ceilings = [100, 200, 400, 800, 1000, 1000, 1000];
  const seen = new Set();
  for (const ceiling of ceilings) {
    const wait = client.backoff();
    assert.ok(wait >= ceiling / 2 && wait <= ceiling, `${wait} within ${ceiling / 2}..${ceiling}`);
    seen.add(wait);
  }
  for (let i = 0; i < 50; i++) {
    seen.add(client.backoff());
  }
  assert.ok(seen.size > 5, 'the delays vary (jitter)');
});

test('calls before connecting reject with not_connected', async () => {
  const client = new BridgeClient({});
  await assert.rejects(client.request('test.echo', 1), { code: 'not_connected' });
  await assert.rejects(client.send('test.echo', 1), { code: 'not_connected' });
  await assert.rejects(client.register('client.x', () => {}), { code: 'not_connected' });
  await assert.rejects(client.unregister('client.x'), { code: 'unknown_address' });
});
