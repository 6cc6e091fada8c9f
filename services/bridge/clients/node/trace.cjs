// W3C trace context (traceparent, tracestate) as the bridge client reads and writes it: which trace
// a message belongs to, the id of the span that is a program's handling of it, and the header a
// call made on behalf of that handling carries. Reading never throws: an invalid header is no trace.
'use strict';

const { randomBytes } = require('node:crypto');

/** Length of a version 00 traceparent, and of the part of a later version's that is read. */
const TRACEPARENT_LENGTH = 55;
/** A longer traceparent (a later version may add fields) is refused unread. */
const MAX_TRACEPARENT_LENGTH = 512;
/** A longer tracestate is dropped (the trace goes on without it); the spec asks for 512 at least. */
const MAX_TRACESTATE_LENGTH = 512;

const FIELDS = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
/** Printable ASCII, the only characters a tracestate may hold. */
const TRACESTATE = /^[\x20-\x7e]*$/;

/**
 * The fields of a traceparent header, or undefined when it is not one: version 00 exactly as the
 * spec writes it (lowercase hex, non-zero ids, 55 characters); a later version's first four fields
 * when what follows them starts with '-'; version ff never.
 *
 * @returns {{traceId: string, parentSpanId: string, sampled: boolean} | undefined}
 */
function parseTraceparent(value) {
  if (typeof value !== 'string' || value.length < TRACEPARENT_LENGTH || value.length > MAX_TRACEPARENT_LENGTH) {
    return undefined;
  }
  const fields = FIELDS.exec(value.slice(0, TRACEPARENT_LENGTH));
  if (fields === null) {
    return undefined;
  }
  const [, version, traceId, parentSpanId, flags] = fields;
  if (version === 'ff' || traceId === ZERO_TRACE_ID || parentSpanId === ZERO_SPAN_ID) {
    return undefined;
  }
  if (version === '00' ? value.length !== TRACEPARENT_LENGTH : value.length > TRACEPARENT_LENGTH && value[TRACEPARENT_LENGTH] !== '-') {
    return undefined;
  }
  return { traceId, parentSpanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/** A version 00 traceparent; only the sampled flag is carried on (the others are not defined for 00). */
function formatTraceparent(traceId, spanId, sampled) {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/** A random span id: 8 bytes, lowercase hex, never all zero. */
function newSpanId() {
  for (;;) {
    const id = randomBytes(8).toString('hex');
    if (id !== ZERO_SPAN_ID) {
      return id;
    }
  }
}

/** The value of a header, whatever the case of its name, when it is a string; headers from the wire may be anything. */
function header(headers, name) {
  if (headers === null || typeof headers !== 'object') {
    return undefined;
  }
  if (Object.prototype.hasOwnProperty.call(headers, name)) {
    return typeof headers[name] === 'string' ? headers[name] : undefined;
  }
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === name) {
      return typeof headers[key] === 'string' ? headers[key] : undefined;
    }
  }
  return undefined;
}

function hasHeader(headers, name) {
  return headers !== null && typeof headers === 'object' && Object.keys(headers).some((key) => key.toLowerCase() === name);
}

/** A tracestate worth passing on, or undefined. */
function tracestateOf(value) {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TRACESTATE_LENGTH && TRACESTATE.test(value)
    ? value : undefined;
}

/**
 * The trace a message with these headers belongs to, continued by a new span (the program's
 * handling of it); undefined without a valid traceparent.
 *
 * @returns {Readonly<{traceId: string, spanId: string, parentSpanId: string, sampled: boolean, traceparent: string, tracestate?: string}> | undefined}
 */
function continueTrace(headers) {
  const parent = parseTraceparent(header(headers, 'traceparent'));
  if (parent === undefined) {
    return undefined;
  }
  const spanId = newSpanId();
  return Object.freeze({
    traceId: parent.traceId,
    spanId,
    parentSpanId: parent.parentSpanId,
    sampled: parent.sampled,
    traceparent: formatTraceparent(parent.traceId, spanId, parent.sampled),
    tracestate: tracestateOf(header(headers, 'tracestate')),
  });
}

/**
 * `headers` with the traceparent (and tracestate) of `trace`, a trace object as continueTrace
 * makes; `headers` as they are when `trace` has no valid traceparent, or when they have a
 * traceparent of their own (the caller's wins; so does a tracestate of the caller's).
 */
function withTrace(headers, trace) {
  if (trace === null || typeof trace !== 'object' || parseTraceparent(trace.traceparent) === undefined
      || hasHeader(headers, 'traceparent')) {
    return headers;
  }
  const traced = { traceparent: trace.traceparent };
  const tracestate = tracestateOf(trace.tracestate);
  if (tracestate !== undefined && !hasHeader(headers, 'tracestate')) {
    traced.tracestate = tracestate;
  }
  return { ...headers, ...traced };
}

module.exports = {
  TRACEPARENT_LENGTH,
  MAX_TRACEPARENT_LENGTH,
  MAX_TRACESTATE_LENGTH,
  parseTraceparent,
  formatTraceparent,
  newSpanId,
  continueTrace,
  withTrace,
};
