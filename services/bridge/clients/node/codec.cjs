// Frames of the bridge protocol: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
'use strict';

/** Bytes of the length prefix. */
const PREFIX_LENGTH = 4;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Encodes one frame. */
function encodeFrame(frame) {
  const json = Buffer.from(JSON.stringify(frame), 'utf8');
  const out = Buffer.allocUnsafe(PREFIX_LENGTH + json.length);
  out.writeInt32BE(json.length, 0);
  json.copy(out, PREFIX_LENGTH);
  return out;
}

/**
 * Cuts a byte stream into frames. The length is checked before any payload is kept, and a frame is
 * only held as far as it has arrived, so a peer announcing a huge frame costs nothing.
 */
class FrameDecoder {
  /**
   * @param {number} maxFrameSize largest payload accepted
   * @param {(frame: object) => void} onFrame called for each decoded frame
   * @param {(error: Error) => void} onError called once for a stream that cannot be decoded; then the decoder stops
   */
  constructor(maxFrameSize, onFrame, onError) {
    this.maxFrameSize = maxFrameSize;
    this.onFrame = onFrame;
    this.onError = onError;
    this.chunks = [];
    this.buffered = 0;
    this.length = -1;
    this.stopped = false;
  }

  push(chunk) {
    if (this.stopped) {
      return;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (!this.stopped) {
      if (this.length < 0) {
        if (this.buffered < PREFIX_LENGTH) {
          return;
        }
        this.length = this.take(PREFIX_LENGTH).readInt32BE(0);
        if (this.length <= 0 || this.length > this.maxFrameSize) {
          this.fail(new Error(`frame length ${this.length} is not from 1 to ${this.maxFrameSize}`));
          return;
        }
      }
      if (this.buffered < this.length) {
        return;
      }
      const payload = this.take(this.length);
      this.length = -1;
      let frame;
      try {
        frame = JSON.parse(UTF8.decode(payload));
      } catch (e) {
        this.fail(new Error(`frame is not UTF-8 JSON: ${e.message}`));
        return;
      }
      if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) {
        this.fail(new Error('frame is not a JSON object'));
        return;
      }
      this.onFrame(frame);
    }
  }

  take(count) {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    const taken = all.subarray(0, count);
    const rest = all.subarray(count);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return taken;
  }

  fail(error) {
    this.stopped = true;
    this.chunks = [];
    this.buffered = 0;
    this.onError(error);
  }
}

module.exports = { PREFIX_LENGTH, encodeFrame, FrameDecoder };
