// Sends the spans the bridge client records (its onSpan hook) to Zipkin's v2 API, as the JVM
// services send theirs: batched, from a bounded queue, never in the way of the program. A Zipkin
// that is down, slow or refusing costs the spans of that time and a log line, nothing more.

import http from 'node:http';
import https from 'node:https';

/** Milliseconds between sends: short, so a trace is readable soon after a request (as the JVM services). */
export const DEFAULT_INTERVAL = 1000;
/** Spans waiting to be sent; more are dropped (and counted) until there is room again. */
export const DEFAULT_MAX_QUEUE = 1000;
/** Spans in one POST. */
export const DEFAULT_MAX_BATCH = 200;
/** Milliseconds one POST may take, answer included. */
export const DEFAULT_REQUEST_TIMEOUT = 5000;
/** Milliseconds close() waits for the last spans to be sent (as the JVM services on shutdown). */
export const DEFAULT_CLOSE_TIMEOUT = 5000;

/** A span of the bridge client (onSpan) in Zipkin's v2 JSON, as from the service `serviceName`. */
export function toZipkin(span, serviceName) {
  const tags = { ...span.attributes };
  if (span.error !== undefined) {
    tags.error = span.error; // Zipkin marks a span failed by this tag
  }
  const zipkin = {
    traceId: span.traceId,
    id: span.spanId,
    name: span.name,
    kind: span.kind,
    timestamp: span.startMicros,
    duration: Math.max(1, span.durationMicros), // Zipkin reads 0 as "unknown"
    localEndpoint: { serviceName },
    tags,
  };
  if (span.parentSpanId !== undefined) {
    zipkin.parentId = span.parentSpanId;
  }
  return zipkin;
}

/**
 * Queues spans and POSTs them to `endpoint` every `interval` ms, at most `maxBatch` a request and
 * one request at a time. Failures are logged once until sending works again; spans of a failed
 * request are not sent again.
 */
export class ZipkinExporter {
  /**
   * @param {string} endpoint Zipkin's span API, e.g. http://127.0.0.1:9411/api/v2/spans
   * @param {object} options serviceName (greeter-node), interval, maxQueue, maxBatch, requestTimeout,
   *   log (a function of one line; default: none)
   */
  constructor(endpoint, options = {}) {
    this.url = endpointUrl(endpoint);
    /** The endpoint as logs show it: without credentials or query a URL might carry. */
    this.where = `${this.url.origin}${this.url.pathname}`;
    this.serviceName = options.serviceName ?? 'greeter-node';
    this.interval = positive('interval', options.interval ?? DEFAULT_INTERVAL);
    this.maxQueue = positive('maxQueue', options.maxQueue ?? DEFAULT_MAX_QUEUE);
    this.maxBatch = positive('maxBatch', options.maxBatch ?? DEFAULT_MAX_BATCH);
    this.requestTimeout = positive('requestTimeout', options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT);
    this.log = options.log ?? (() => {});
    this.queue = [];
    /** Spans dropped because the queue was full, since the start. */
    this.dropped = 0;
    /** Spans whose POST failed, since the start. */
    this.failed = 0;
    /** Spans Zipkin accepted, since the start. */
    this.sent = 0;
    this.droppedUnreported = 0;
    this.failing = false;
    this.sending = null;
    this.closed = false;
    this.agent = new (this.url.protocol === 'https:' ? https : http).Agent({ keepAlive: true, maxSockets: 1 });
    this.timer = setInterval(() => {
      if (this.sending === null) {
        this.flush();
      }
    }, this.interval);
    this.timer.unref(); // spans waiting never keep the program alive
  }

  /** Queues a span of the bridge client; drops it when the queue is full or the exporter closed. */
  add(span) {
    if (this.closed) {
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      this.dropped++;
      if (this.droppedUnreported++ === 0) {
        this.log(`zipkin: ${this.maxQueue} spans wait to be sent already; dropping spans until there is room`);
      }
      return;
    }
    this.queue.push(toZipkin(span, this.serviceName));
  }

  /**
   * Sends what is queued now (more POSTs when it is more than a batch); resolves when done,
   * whatever became of it. A flush while one runs waits for that one, then sends what is left.
   */
  async flush() {
    while (this.sending !== null) {
      await this.sending;
    }
    if (this.queue.length === 0) {
      return;
    }
    this.sending = this.sendAll().finally(() => { this.sending = null; });
    await this.sending;
  }

  async sendAll() {
    let count = this.queue.length;
    while (count > 0 && this.queue.length > 0) {
      const batch = this.queue.splice(0, Math.min(this.maxBatch, count));
      count -= batch.length;
      if (this.droppedUnreported > 0) {
        this.log(`zipkin: ${this.droppedUnreported} spans were dropped (queue full)`);
        this.droppedUnreported = 0;
      }
      try {
        await this.post(JSON.stringify(batch));
        this.sent += batch.length;
        if (this.failing) {
          this.failing = false;
          this.log(`zipkin: sending spans to ${this.where} again`);
        }
      } catch (error) {
        this.failed += batch.length;
        if (!this.failing) {
          this.failing = true;
          this.log(`zipkin: cannot send spans to ${this.where} (${error.message}); dropping them until it takes them again`);
        }
      }
    }
  }

  /** One POST; rejects on any failure, non-2xx answers included, and after requestTimeout. */
  post(body) {
    return new Promise((resolve, reject) => {
      const request = (this.url.protocol === 'https:' ? https : http).request(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      }, (response) => {
        response.resume(); // Zipkin's answer has nothing to read
        response.on('error', reject);
        response.on('close', () => {
          if (!response.complete) {
            reject(new Error('the answer was cut short'));
          }
        });
        response.on('end', () => {
          if (response.statusCode >= 200 && response.statusCode < 300) {
            resolve();
          } else {
            reject(new Error(`HTTP ${response.statusCode}`));
          }
        });
      });
      const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${this.requestTimeout} ms`)), this.requestTimeout);
      request.on('close', () => clearTimeout(deadline));
      request.on('error', reject);
      request.end(body);
    });
  }

  /**
   * Stops the timer, sends what is queued, and resolves when that is done or after `timeout` ms,
   * whichever comes first; never rejects.
   */
  async close(timeout = DEFAULT_CLOSE_TIMEOUT) {
    this.closed = true;
    clearInterval(this.timer);
    let timer;
    const bound = new Promise((resolve) => { timer = setTimeout(resolve, timeout); });
    await Promise.race([this.flush(), bound]);
    clearTimeout(timer);
    this.agent.destroy();
  }
}

function endpointUrl(endpoint) {
  let url;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new Error(`the tracing endpoint must be an http or https URL such as http://127.0.0.1:9411/api/v2/spans, not ${JSON.stringify(endpoint)}`);
  }
  return url;
}

function positive(name, value) {
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, not ${value}`);
  }
  return value;
}
