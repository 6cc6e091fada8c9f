import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, encodeFrame } from '../codec.js';

function collect(max = 1024) {
  const frames = [];
  const errors = [];
  const decoder = new FrameDecoder(max, (f) => frames.push(f), (e) => errors.push(e));
  return { frames, errors, decoder };
}

test('every split of a stream decodes the same frames', () => {
  const stream = Buffer.concat([encodeFrame({ type: 'ping' }), encodeFrame({ type: 'message', body: 'é✓😀' }), encodeFrame({})]);
  for (let a = 0; a <= stream.length; a++) {
    for (let b = a; b <= stream.length; b += 5) {
      const { frames, errors, decoder } = collect();
      decoder.push(stream.subarray(0, a));
      decoder.push(stream.subarray(a, b));
      decoder.push(stream.subarray(b));
      assert.deepEqual(frames, [{ type: 'ping' }, { type: 'message', body: 'é✓😀' }, {}], `split at ${a}, ${b}`);
      assert.equal(errors.length, 0);
    }
  }
});

test('a length over the limit stops the decoder before any payload is kept', () => {
  const { frames, errors, decoder } = collect(16);
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(0x7fffffff);
  decoder.push(prefix);
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /not from 1 to 16/);
  decoder.push(encodeFrame({}));
  assert.equal(frames.length, 0, 'nothing is decoded after the error');
});

test('zero, negative, invalid UTF-8, invalid JSON and non-objects are errors', () => {
  const bad = [
    Buffer.from([0, 0, 0, 0]),
    Buffer.from([0xff, 0xff, 0xff, 0xff]),
    Buffer.concat([Buffer.from([0, 0, 0, 4]), Buffer.from([0x22, 0xc3, 0x28, 0x22])]),
    Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from('{')]),
    encodeFrame([1, 2]),
  ];
  for (const bytes of bad) {
    const { errors, decoder } = collect();
    decoder.push(bytes);
    assert.equal(errors.length, 1, bytes.toString('hex'));
  }
});

test('an err frame gives its code wherever the bridge puts it', async () => {
  const { BridgeError } = await import('../index.js');
  // this bridge: the code in message and code, the sentence in description
  const refused = BridgeError.fromFrame({ type: 'err', message: 'access_denied', code: 'access_denied', description: 'no permission', address: 'a' });
  assert.equal(refused.code, 'access_denied');
  assert.equal(refused.message, 'no permission');
  // Vert.x's TCP bridge: the code in message only
  const plain = BridgeError.fromFrame({ type: 'err', message: 'access_denied' });
  assert.equal(plain.code, 'access_denied');
  assert.equal(plain.message, 'access_denied');
  // a failed request, from either: message is the failure's own
  const failed = BridgeError.fromFrame({ type: 'err', address: 'r', sourceAddress: 's', failureCode: 42, failureType: 'RECIPIENT_FAILURE', message: 'failed on purpose' });
  assert.equal(failed.code, 'recipient_failure');
  assert.equal(failed.message, 'failed on purpose');
  assert.equal(failed.failureCode, 42);
  assert.equal(failed.address, 's');
});
