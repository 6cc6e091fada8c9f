import { EventEmitter } from 'node:events';
import type { ConnectionOptions } from 'node:tls';

export interface ConnectOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 7000. */
  port?: number;
  /** Sent in an auth frame on every (re)connection. */
  token?: string;
  /** TLS options (ca, cert, key, servername...); plain TCP when absent. */
  tls?: ConnectionOptions;
  /** Milliseconds a request waits for its answer; default 30000. */
  requestTimeout?: number;
  /** Milliseconds between pings; default 20000. */
  pingInterval?: number;
  /** Milliseconds to wait for a pong before the connection is dropped; default 10000. */
  pingTimeout?: number;
  /** Milliseconds to wait for a connection; default 10000. */
  connectTimeout?: number;
  /** Largest frame accepted from the bridge; default 1 MiB. */
  maxFrameSize?: number;
  /** Reconnect after a lost connection (handlers are registered again); default true. */
  reconnect?: boolean;
  /** First reconnect delay in ms, doubled per attempt with jitter; default 100. */
  reconnectDelay?: number;
  /** Largest reconnect delay in ms; default 10000. */
  maxReconnectDelay?: number;
  /** Keep trying when the first connection fails (except a refused token); default false. */
  retryInitialConnect?: boolean;
  /**
   * Called with the span of each handler run for a message of a sampled trace, once the handler
   * has finished and its answer (if the message expects one) was written. What it throws, or its
   * promise rejects with, is reported as an `error` event (code on_span_failed). Without it,
   * nothing is measured.
   */
  onSpan?: (span: Span) => void | Promise<void>;
}

/** The trace a message belongs to, continued by the span of the program's handling of it. */
export interface Trace {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits, new for this handling. */
  readonly spanId: string;
  /** The sender's span id, from the message's traceparent. */
  readonly parentSpanId: string;
  /** The sampled flag of the traceparent: whether the trace is recorded. */
  readonly sampled: boolean;
  /** `00-traceId-spanId-flags`: the traceparent a call made on behalf of this handling carries. */
  readonly traceparent: string;
  /** The message's tracestate, passed on as it came (dropped when invalid or over 512 characters). */
  readonly tracestate?: string;
}

/** A finished span, as onSpan gets it. */
export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  /** The address the message came to. */
  name: string;
  /** SERVER for a message that expects a reply, CONSUMER otherwise. */
  kind: 'SERVER' | 'CONSUMER';
  /** Microseconds since the epoch. */
  startMicros: number;
  durationMicros: number;
  /** messaging.system, messaging.destination.name, messaging.operation.name, and messaging.failure_code for a failed message. */
  attributes: Record<string, string>;
  /** Why the handling failed (the handler threw or failed the message, or its reply could not be sent); undefined otherwise. */
  error?: string;
}

export interface SendOptions {
  /** Its traceparent/tracestate win over those of `parent`. */
  headers?: Record<string, string>;
  /** The message (or trace) this one is sent on behalf of: its trace's traceparent and tracestate go in the headers. */
  parent?: Message | Trace;
}

export interface RequestOptions extends SendOptions {
  /** Milliseconds; default the client's requestTimeout. */
  timeout?: number;
}

export class BridgeError extends Error {
  /** Bridge error code (access_denied, no_handlers, timeout, recipient_failure, ...) or a client code (timeout, connection_lost, not_connected, closed, protocol_error, frame_too_large, invalid_body). */
  code: string;
  /** The failure code given by the handler that failed the request, if any. */
  failureCode?: number;
  /** NO_HANDLERS, TIMEOUT or RECIPIENT_FAILURE for failures of the bus. */
  failureType?: string;
  /** The address the failed operation concerned. */
  address?: string;
  /** The limit that was reached (too_many_registrations, too_many_requests, frame_too_large). */
  limit?: number;
}

export class Message<T = unknown> {
  address: string;
  body: T;
  headers: Record<string, string>;
  replyAddress?: string;
  /** False for published messages. */
  isSend: boolean;
  readonly expectsReply: boolean;
  /** Undefined without a valid traceparent header. */
  readonly trace: Trace | undefined;
  /** How the message was failed (by its handler, or for a reply that could not be sent), if it was. */
  failure?: { failureCode: number; message: string };
  reply(body: unknown, options?: SendOptions): Promise<void>;
  fail(failureCode: number, message: string): Promise<void>;
  request<R = unknown>(body: unknown, options?: RequestOptions): Promise<Message<R>>;
}

export type Handler = (message: Message) => unknown | Promise<unknown>;

export class BridgeClient extends EventEmitter {
  /** A client that is not connected yet: call start() (connect() does both). */
  constructor(options?: ConnectOptions);
  /** Connects (and authenticates); with retryInitialConnect, keeps trying until close(). */
  start(): Promise<void>;
  send(address: string, body?: unknown, options?: SendOptions): Promise<void>;
  publish(address: string, body?: unknown, options?: SendOptions): Promise<void>;
  request<R = unknown>(address: string, body?: unknown, options?: RequestOptions): Promise<Message<R>>;
  register(address: string, handler: Handler): Promise<void>;
  unregister(address: string): Promise<void>;
  close(): Promise<void>;
}

export function connect(options?: ConnectOptions): Promise<BridgeClient>;

export function encodeFrame(frame: object): Buffer;

export class FrameDecoder {
  constructor(maxFrameSize: number, onFrame: (frame: object) => void, onError: (error: Error) => void);
  push(chunk: Buffer): void;
}

declare const client: {
  connect: typeof connect;
  BridgeClient: typeof BridgeClient;
  BridgeError: typeof BridgeError;
  Message: typeof Message;
  FrameDecoder: typeof FrameDecoder;
  encodeFrame: typeof encodeFrame;
};
export default client;
