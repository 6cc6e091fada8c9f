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
}

export interface SendOptions {
  headers?: Record<string, string>;
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
