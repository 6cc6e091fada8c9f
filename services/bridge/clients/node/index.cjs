// Client for the Switchboard TCP event bus bridge (protocol: services/bridge/README.md).
// No dependencies beyond Node's standard library. CommonJS; index.js is the ES module entry.
'use strict';

const { EventEmitter } = require('node:events');
const net = require('node:net');
const tls = require('node:tls');
const { FrameDecoder, encodeFrame, PREFIX_LENGTH } = require('./codec.cjs');
const { performance } = require('node:perf_hooks');
const { continueTrace, withTrace } = require('./trace.cjs');

const DEFAULTS = {
  host: '127.0.0.1',
  port: 7000,
  token: undefined,
  tls: undefined,
  requestTimeout: 30_000,
  pingInterval: 20_000,
  pingTimeout: 10_000,
  connectTimeout: 10_000,
  maxFrameSize: 1024 * 1024,
  reconnect: true,
  reconnectDelay: 100,
  maxReconnectDelay: 10_000,
  retryInitialConnect: false,
  onSpan: undefined,
};

/**
 * A failure reported by the bridge or the bus, or found by the client.
 * `code` is the bridge's error code (`access_denied`, `no_handlers`, `timeout`, `recipient_failure`, ...)
 * or one of the client's own: `timeout`, `connection_lost`, `not_connected`, `closed`, `protocol_error`,
 * `frame_too_large` (a frame to send over `maxFrameSize`; nothing was sent), `invalid_body` (a body
 * JSON.stringify refuses).
 */
class BridgeError extends Error {
  constructor(code, message, details = {}) {
    super(message || code);
    this.name = 'BridgeError';
    this.code = code;
    this.failureCode = details.failureCode;
    this.failureType = details.failureType;
    this.address = details.address;
    if (details.limit !== undefined) {
      this.limit = details.limit;
    }
  }

  /**
   * The error an `err` frame reports. Its code is in `message`, as from Vert.x's TCP bridge, except
   * for a failed request (`failureType` set), whose `message` is the failure's own; this bridge also
   * sends the code as `code` and its sentence as `description`.
   */
  static fromFrame(frame) {
    const code = frame.code || (frame.failureType ? String(frame.failureType).toLowerCase() : frame.message) || 'error';
    return new BridgeError(code, frame.description || frame.message, {
      failureCode: frame.failureCode,
      failureType: frame.failureType,
      address: frame.sourceAddress || frame.address,
      limit: frame.limit,
    });
  }
}

/** A message from the bus: a delivery to a registered address, or the answer to a request. */
class Message {
  constructor(client, frame) {
    this.address = frame.address;
    this.body = frame.body === undefined ? null : frame.body;
    this.headers = frame.headers || {};
    this.replyAddress = frame.replyAddress;
    this.isSend = frame.send !== false;
    this.answered = false;
    /** How the message was failed ({failureCode, message}), by the handler or for a reply that could not be sent. */
    this.failure = undefined;
    this.client = client;
  }

  /**
   * The trace this message belongs to, continued by a span of its own (the program's handling of
   * it): `traceId`, `spanId` (new, random), `parentSpanId` (the sender's), `sampled`,
   * `traceparent` (what a call made on its behalf carries; see the `parent` option), `tracestate`.
   * Undefined without a valid `traceparent` header. Made when first asked for, then the same.
   */
  get trace() {
    if (this.continued === undefined) {
      this.continued = continueTrace(this.headers) ?? null;
    }
    return this.continued ?? undefined;
  }

  /** Whether the sender waits for an answer. */
  get expectsReply() {
    return this.replyAddress !== undefined;
  }

  /**
   * Answers the message. A reply that cannot be sent (over maxFrameSize, or not JSON) fails the
   * message instead (413 or 500), so that its sender does not wait for its timeout; the promise
   * still rejects with the reason.
   */
  reply(body, options = {}) {
    return this.answer({ body, headers: headersOf(options) }).catch((error) => {
      const unsendable = { frame_too_large: 413, invalid_body: 500 }[error.code];
      if (unsendable) {
        this.failure = { failureCode: unsendable, message: error.message };
        this.client.acknowledged({ type: 'send', address: this.replyAddress, failureCode: unsendable, message: error.message }).catch(() => {});
      }
      throw error;
    });
  }

  /** Fails the message: its sender gets a failure with this code and message. */
  fail(failureCode, message) {
    const failure = { failureCode: Math.trunc(failureCode), message: String(message ?? '') };
    const answered = this.answer(failure);
    this.failure = failure;
    return answered;
  }

  /** Answers the message and waits for the answer to that answer. */
  request(body, options = {}) {
    this.claim();
    return this.client.request(this.replyAddress, body, options);
  }

  claim() {
    if (!this.expectsReply) {
      throw new BridgeError('no_reply_address', 'this message does not expect a reply');
    }
    if (this.answered) {
      throw new BridgeError('already_answered', 'this message was answered already');
    }
    this.answered = true;
  }

  answer(fields) {
    this.claim();
    return this.client.acknowledged({ type: 'send', address: this.replyAddress, ...fields });
  }
}

/**
 * Connects to a bridge and resolves once it is ready (authenticated, when a token is given).
 *
 * @param {object} options see DEFAULTS and README.md
 * @returns {Promise<BridgeClient>}
 */
async function connect(options = {}) {
  const client = new BridgeClient(options);
  await client.start();
  return client;
}

/**
 * One connection to the bridge, re-established after it drops, with the handlers registered again.
 * Events: `connected`, `disconnected` (error), `reconnecting` (delay ms), `error` (error).
 */
class BridgeClient extends EventEmitter {
  constructor(options = {}) {
    super();
    this.options = { ...DEFAULTS, ...options };
    if (this.options.onSpan !== undefined && typeof this.options.onSpan !== 'function') {
      throw new TypeError('onSpan must be a function');
    }
    this.socket = null;
    this.ready = false;
    this.closed = false;
    this.nextId = 1;
    this.nextReply = 1;
    this.attempt = 0;
    this.pendingAcks = new Map();
    this.pendingRequests = new Map();
    this.handlers = new Map();
    this.registering = new Map();
    this.pingTimer = null;
    this.pongTimer = null;
    this.reconnectTimer = null;
  }

  async start() {
    for (;;) {
      try {
        await this.open();
        return;
      } catch (error) {
        if (!this.options.retryInitialConnect || this.closed || error.code === 'auth_failed') {
          this.closed = true;
          throw error;
        }
        await delay(this.backoff());
        if (this.closed) {
          throw new BridgeError('closed', 'the client was closed');
        }
      }
    }
  }

  /**
   * Point-to-point message; resolves when the bridge accepted it. `options.parent` (a Message or
   * its `trace`) puts that trace's `traceparent`/`tracestate` in its headers.
   */
  send(address, body, options = {}) {
    return this.acknowledged({ type: 'send', address, body, headers: headersOf(options) });
  }

  /** Message to every consumer of `address`; resolves when the bridge accepted it. `options.parent` as for send. */
  publish(address, body, options = {}) {
    return this.acknowledged({ type: 'publish', address, body, headers: headersOf(options) });
  }

  /**
   * Sends a request and resolves with the answer (a Message, which may itself expect a reply), or
   * rejects with a BridgeError: the bridge's refusal, the handler's failure, no handler, timeout.
   */
  request(address, body, options = {}) {
    const timeout = options.timeout ?? this.options.requestTimeout;
    if (!this.ready) {
      return Promise.reject(new BridgeError('not_connected', 'the bridge connection is not open'));
    }
    const replyAddress = `r.${this.nextReply++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingRequests.delete(replyAddress);
        reject(new BridgeError('timeout', `no answer from ${address} within ${timeout} ms`, { address }));
      }, timeout + 1000);
      this.pendingRequests.set(replyAddress, { resolve, reject, timer });
      const headers = { ...headersOf(options), timeout: String(timeout) };
      try {
        this.write({ type: 'send', address, body, headers, replyAddress });
      } catch (error) {
        this.pendingRequests.delete(replyAddress);
        clearTimeout(timer);
        reject(error);
      }
    });
  }

  /**
   * Receives the messages sent or published to `address`. The handler gets a Message; when the
   * sender waits for an answer, the handler's return value (or resolved promise) is the reply and
   * a thrown error fails it (with `error.failureCode`, default 500) — unless the handler answered
   * with `message.reply` or `message.fail` itself. Resolves once the bridge has registered it.
   */
  async register(address, handler) {
    if (typeof handler !== 'function') {
      throw new TypeError('handler must be a function');
    }
    const existing = this.handlers.has(address);
    this.handlers.set(address, handler);
    if (existing) {
      // registered already (or being registered): the new handler replaces the old one
      return this.registering.get(address);
    }
    const registration = this.acknowledged({ type: 'register', address }).then(
      () => { this.registering.delete(address); },
      (error) => {
        // the bridge did not register it: every caller waiting for this registration sees the error
        this.registering.delete(address);
        this.handlers.delete(address);
        throw error;
      },
    );
    this.registering.set(address, registration);
    return registration;
  }

  /** Stops receiving messages for `address`. */
  async unregister(address) {
    if (!this.handlers.delete(address)) {
      throw new BridgeError('unknown_address', `${address} is not registered`, { address });
    }
    if (this.ready) {
      await this.acknowledged({ type: 'unregister', address });
    }
  }

  /** Closes the connection for good: pending calls reject with `closed`. */
  async close() {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    this.teardown(new BridgeError('closed', 'the client was closed'));
    if (socket && !socket.destroyed) {
      await new Promise((resolve) => {
        socket.once('close', resolve);
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      });
    }
  }

  // ---- connection

  open() {
    return new Promise((resolve, reject) => {
      const { host, port } = this.options;
      const socket = this.options.tls
        ? tls.connect({ host, port, ...this.options.tls })
        : net.connect({ host, port });
      socket.setNoDelay(true);
      this.socket = socket;
      let settled = false;
      const settle = (error) => {
        if (settled) {
          return;
        }
        settled = true;
        clearTimeout(connectTimer);
        if (error) {
          socket.destroy();
          reject(error);
        } else {
          resolve();
        }
      };
      const connectTimer = setTimeout(() => settle(new BridgeError('timeout', `no connection to ${host}:${port} within ${this.options.connectTimeout} ms`)), this.options.connectTimeout);
      const decoder = new FrameDecoder(this.options.maxFrameSize, (frame) => this.onFrame(frame), (error) => {
        this.report(new BridgeError('protocol_error', error.message));
        socket.destroy();
      });
      socket.on('data', (chunk) => decoder.push(chunk));
      socket.on('error', (error) => settle(new BridgeError('connection_lost', error.message)));
      socket.on('close', () => {
        settle(new BridgeError('connection_lost', 'the bridge closed the connection'));
        if (this.socket === socket) {
          this.onClose();
        }
      });
      socket.once(this.options.tls ? 'secureConnect' : 'connect', () => {
        this.handshake().then(() => settle(), settle);
      });
    });
  }

  async handshake() {
    if (this.options.token !== undefined) {
      await this.acknowledged({ type: 'auth', token: this.options.token }, true);
    }
    // every handler again, at once; one the bridge refuses now (its permissions changed) is dropped
    // and reported, rather than failing every reconnect
    await Promise.all([...this.handlers.keys()].map((address) =>
      this.acknowledged({ type: 'register', address }, true).catch((error) => {
        if (error.code === 'connection_lost' || error.code === 'closed') {
          throw error;
        }
        this.handlers.delete(address);
        this.report(error);
      })));
    this.ready = true;
    this.attempt = 0;
    this.startPing();
    this.emit('connected');
  }

  onClose() {
    const wasReady = this.ready;
    this.teardown(new BridgeError('connection_lost', 'the connection to the bridge was lost'));
    if (wasReady) {
      this.emit('disconnected');
    }
    if (!this.closed && this.options.reconnect && wasReady) {
      this.scheduleReconnect();
    }
  }

  scheduleReconnect() {
    const wait = this.backoff();
    this.emit('reconnecting', wait);
    this.reconnectTimer = setTimeout(() => {
      this.open().catch((error) => {
        if (error.code === 'auth_failed') {
          this.closed = true;
          this.report(error);
        } else if (!this.closed) {
          if (error.code !== 'connection_lost') {
            this.report(error); // e.g. a handler the bridge no longer lets this client register
          }
          this.scheduleReconnect();
        }
      });
    }, wait);
  }

  /** Exponential backoff with full jitter. */
  backoff() {
    const ceiling = Math.min(this.options.maxReconnectDelay, this.options.reconnectDelay * 2 ** Math.min(this.attempt++, 20));
    return Math.round(ceiling / 2 + Math.random() * ceiling / 2);
  }

  teardown(error) {
    this.ready = false;
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pongTimer = null;
    for (const pending of this.pendingAcks.values()) {
      pending.reject(error);
    }
    this.pendingAcks.clear();
    for (const pending of this.pendingRequests.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pendingRequests.clear();
  }

  /**
   * Pings every pingInterval, one ping at a time: a pong that does not come within pingTimeout
   * means a dead connection, which is dropped (and re-established).
   */
  startPing() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pongTimer = null;
    this.pingTimer = setInterval(() => {
      if (this.pongTimer !== null || !this.ready) {
        return;
      }
      const socket = this.socket;
      const timer = setTimeout(() => {
        this.report(new BridgeError('timeout', `no pong within ${this.options.pingTimeout} ms: dropping the connection`));
        socket.destroy();
      }, this.options.pingTimeout);
      timer.unref();
      this.pongTimer = timer;
      const answered = () => {
        clearTimeout(timer);
        if (this.pongTimer === timer) {
          this.pongTimer = null;
        }
      };
      this.acknowledged({ type: 'ping' }).then(answered, answered);
    }, this.options.pingInterval);
    this.pingTimer.unref();
  }

  /** An 'error' event, when someone listens (an unheard 'error' would throw in Node). */
  report(error) {
    if (this.listenerCount('error') > 0) {
      this.emit('error', error);
    }
  }

  // ---- frames

  /** Writes a frame with an id and resolves when the bridge answers it with ok (or pong). */
  acknowledged(frame, handshaking = false) {
    if (!this.ready && !handshaking) {
      return Promise.reject(new BridgeError('not_connected', 'the bridge connection is not open'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pendingAcks.set(id, { resolve, reject });
      try {
        this.write({ ...frame, id });
      } catch (error) {
        this.pendingAcks.delete(id);
        reject(error);
      }
    });
  }

  write(frame) {
    const clean = {};
    for (const [key, value] of Object.entries(frame)) {
      if (value !== undefined) {
        clean[key] = value;
      }
    }
    let bytes;
    try {
      bytes = encodeFrame(clean);
    } catch (error) {
      throw new BridgeError('invalid_body', `the ${clean.type} frame cannot be written as JSON: ${error.message}`, { address: clean.address });
    }
    const size = bytes.length - PREFIX_LENGTH;
    if (size > this.options.maxFrameSize) {
      // the bridge would close the connection (frame_too_large is fatal): refuse it here instead
      throw new BridgeError('frame_too_large', `a ${clean.type} frame of ${size} bytes is over the limit of ${this.options.maxFrameSize}`,
        { address: clean.address, limit: this.options.maxFrameSize });
    }
    this.socket.write(bytes);
  }

  onFrame(frame) {
    switch (frame.type) {
      case 'ok':
      case 'pong': {
        const pending = this.pendingAcks.get(frame.id);
        if (pending) {
          this.pendingAcks.delete(frame.id);
          pending.resolve();
        }
        break;
      }
      case 'message':
        this.onMessage(frame);
        break;
      case 'err':
        this.onErr(frame);
        break;
      default:
        this.report(new BridgeError('protocol_error', `unexpected frame type ${frame.type}`));
    }
  }

  onErr(frame) {
    const error = BridgeError.fromFrame(frame);
    const request = frame.address !== undefined && this.pendingRequests.get(frame.address);
    if (request) {
      this.pendingRequests.delete(frame.address);
      clearTimeout(request.timer);
      request.reject(error);
      return;
    }
    const ack = frame.id !== undefined && this.pendingAcks.get(frame.id);
    if (ack) {
      this.pendingAcks.delete(frame.id);
      ack.reject(error);
      return;
    }
    this.report(error);
  }

  onMessage(frame) {
    const request = this.pendingRequests.get(frame.address);
    if (request) {
      this.pendingRequests.delete(frame.address);
      clearTimeout(request.timer);
      request.resolve(new Message(this, frame));
      return;
    }
    const handler = this.handlers.get(frame.address);
    if (!handler) {
      return; // unregistered meanwhile
    }
    const message = new Message(this, frame);
    // nothing is measured for a program without onSpan
    const span = this.options.onSpan ? startSpan(message) : undefined;
    Promise.resolve()
      .then(() => handler(message))
      .then((result) => {
        // the span ends once the answer is written, not when the bridge acknowledges it
        try {
          if (message.expectsReply && !message.answered) {
            return message.reply(result === undefined ? null : result);
          }
          return undefined;
        } finally {
          endSpan(span);
        }
      }, (error) => {
        try {
          if (message.expectsReply && !message.answered) {
            const code = Number.isInteger(error?.failureCode) ? error.failureCode : 500;
            return message.fail(code, error?.message ?? String(error));
          }
          this.report(error);
          return undefined;
        } finally {
          endSpan(span, error ?? 'the handler failed');
        }
      })
      .catch((error) => this.report(error))
      .then(() => {
        if (span !== undefined) {
          this.recordSpan(span, message);
        }
      });
  }

  /** Gives a finished span to onSpan; what onSpan throws (or its promise rejects with) is reported, never more. */
  recordSpan(span, message) {
    const { trace } = span;
    const failure = span.error ?? (message.failure && (message.failure.message || `failed with code ${message.failure.failureCode}`));
    const record = {
      traceId: trace.traceId,
      spanId: trace.spanId,
      parentSpanId: trace.parentSpanId,
      name: message.address,
      kind: message.expectsReply ? 'SERVER' : 'CONSUMER',
      startMicros: span.startMicros,
      durationMicros: span.durationMicros,
      attributes: {
        'messaging.system': 'vertx-eventbus',
        'messaging.destination.name': message.address,
        'messaging.operation.name': message.isSend ? 'send' : 'publish',
      },
      error: failure,
    };
    if (message.failure !== undefined) {
      record.attributes['messaging.failure_code'] = String(message.failure.failureCode);
    }
    const hookFailed = (error) => {
      const reported = new BridgeError('on_span_failed', `onSpan failed: ${error?.message ?? String(error)}`, { address: message.address });
      reported.cause = error;
      this.report(reported);
    };
    try {
      const result = this.options.onSpan(record);
      if (result !== null && typeof result?.then === 'function') {
        result.then(undefined, hookFailed);
      }
    } catch (error) {
      hookFailed(error);
    }
  }
}

/** The headers of a send, publish or request: the caller's, with the trace of `options.parent` when it has one. */
function headersOf(options) {
  const parent = options.parent instanceof Message ? options.parent.trace : options.parent;
  return parent === undefined || parent === null ? options.headers : withTrace(options.headers, parent);
}

/**
 * The span of a handler's run, for a message of a sampled trace: its start from the wall clock (as
 * other processes stamp theirs), its duration from the monotonic clock (in microseconds, and
 * unmoved by clock adjustments).
 */
function startSpan(message) {
  const trace = message.trace;
  return trace !== undefined && trace.sampled
    ? { trace, startMicros: Date.now() * 1000, started: performance.now(), durationMicros: undefined, error: undefined }
    : undefined;
}

function endSpan(span, error) {
  if (span !== undefined) {
    span.durationMicros = Math.round((performance.now() - span.started) * 1000);
    if (error !== undefined) {
      span.error = (typeof error === 'object' && error.message) || String(error);
    }
  }
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

module.exports = { connect, BridgeClient, BridgeError, Message, FrameDecoder, encodeFrame };
