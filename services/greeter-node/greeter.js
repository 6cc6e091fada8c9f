// The greeter: a Node.js program serving the event bus address greeter.hello through the bridge.
// JVM services call it like any other service on the bus (GET /api/greet on the http service).
//
// Settings (environment): SWITCHBOARD_BRIDGE_HOST (127.0.0.1), SWITCHBOARD_BRIDGE_PORT (7000),
// SWITCHBOARD_BRIDGE_TOKEN (when the bridge asks for one); its own /health and /ready on
// SWITCHBOARD_GREETER_NODE_HOST (0.0.0.0) and SWITCHBOARD_GREETER_NODE_ADMIN_PORT (7101; 0 picks one);
// SWITCHBOARD_TRACING_ENDPOINT (Zipkin's span API, as for the JVM services; unset: no spans).

import { realpathSync } from 'node:fs';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { BridgeClient } from '../bridge/clients/node/index.js';
import { ZipkinExporter } from './zipkin.js';

export const ADDRESS = 'greeter.hello';
export const MAX_NAME_LENGTH = 100;
export const DEFAULT_ADMIN_PORT = 7101;
export const SERVICE_NAME = 'greeter-node';

/**
 * /health (the process runs) and /ready (on the bus: connected and registered), as the JVM
 * services answer them, for probes and for scripts/images.
 */
export function adminServer(isReady) {
  return http.createServer((request, response) => {
    const path = (request.url || '').split('?')[0];
    let status = 404;
    let body = { error: 'not found', path };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      status = 405;
      body = { error: 'method not allowed' };
      response.setHeader('Allow', 'GET, HEAD');
    } else if (path === '/health') {
      status = 200;
      body = { status: 'UP' };
    } else if (path === '/ready') {
      status = isReady() ? 200 : 503;
      body = { status: status === 200 ? 'UP' : 'DOWN', checks: [{ id: 'bus', status: status === 200 ? 'UP' : 'DOWN' }] };
    }
    response.writeHead(status, { 'Content-Type': 'application/json' });
    response.end(request.method === 'HEAD' ? undefined : JSON.stringify(body));
  });
}

/**
 * The exporter for SWITCHBOARD_TRACING_ENDPOINT, or undefined when it is unset or blank (tracing
 * off: the client then measures nothing). Throws for an endpoint that is not an http(s) URL.
 */
export function tracing(env, log) {
  const endpoint = (env.SWITCHBOARD_TRACING_ENDPOINT ?? '').trim();
  return endpoint === '' ? undefined : new ZipkinExporter(endpoint, { serviceName: SERVICE_NAME, log });
}

/** The answer to one request; throws (failing it with code 400) for a bad name. */
export function greet(body) {
  const name = body && typeof body === 'object' ? body.name : undefined;
  if (typeof name !== 'string' || name.trim() === '') {
    throw Object.assign(new Error('name must be a non-blank string'), { failureCode: 400 });
  }
  if (name.length > MAX_NAME_LENGTH) {
    throw Object.assign(new Error(`name must be at most ${MAX_NAME_LENGTH} characters`), { failureCode: 400 });
  }
  return { greeting: `Hello, ${name.trim()}!`, by: 'greeter-node', pid: process.pid };
}

async function main() {
  const host = process.env.SWITCHBOARD_BRIDGE_HOST || '127.0.0.1';
  const port = Number(process.env.SWITCHBOARD_BRIDGE_PORT || 7000);
  const token = process.env.SWITCHBOARD_BRIDGE_TOKEN || undefined;
  const exporter = tracing(process.env, log);
  if (exporter !== undefined) {
    log(`${SERVICE_NAME} sends spans to ${exporter.where}`);
  }
  const bus = new BridgeClient({
    host, port, token, retryInitialConnect: true, maxReconnectDelay: 5000,
    onSpan: exporter && ((span) => exporter.add(span)),
  });
  let registered = false;
  const admin = adminServer(() => registered && bus.ready);
  const adminHost = process.env.SWITCHBOARD_GREETER_NODE_HOST || '0.0.0.0';
  await new Promise((resolve, reject) => {
    admin.once('error', reject);
    admin.listen(Number(process.env.SWITCHBOARD_GREETER_NODE_ADMIN_PORT ?? DEFAULT_ADMIN_PORT), adminHost, resolve);
  });
  const adminUrl = `http://${adminHost}:${admin.address().port}`;
  log(`greeter-node admin: ${adminUrl} (/health, /ready)`);
  bus.on('disconnected', () => log(`lost the bridge at ${host}:${port}; reconnecting`));
  bus.on('connected', () => log(`on the bus through ${host}:${port}`));
  bus.on('error', (error) => log(`error: ${error.code || ''} ${error.message}`));

  // SIGTERM stops it cleanly at any time, also while it still waits for the bridge
  let stopping = false;
  const stop = async (signal) => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: stopping`);
    registered = false;
    admin.close();
    await bus.close();
    // the spans of the last requests, within a bound: a Zipkin that is away does not hold the exit
    await exporter?.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  try {
    await bus.start();
    // the connection may drop between start and register: then register once it is back
    for (;;) {
      try {
        await bus.register(ADDRESS, (message) => greet(message.body));
        registered = true;
        break;
      } catch (error) {
        if (error.code !== 'not_connected' && error.code !== 'connection_lost') {
          throw error;
        }
        await new Promise((resolve) => bus.once('connected', resolve));
      }
    }
  } catch (error) {
    if (stopping) {
      return;
    }
    throw error;
  }
  log(`greeter-node up: admin=${adminUrl} bridge=${host}:${port} address=${ADDRESS} pid=${process.pid}`);
}

function log(line) {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

/** Whether this file is the program node runs (not imported, e.g. by a test of greet). */
function isMain() {
  try {
    return process.argv[1] !== undefined && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isMain()) {
  main().catch((error) => {
    log(`greeter-node cannot start: ${error.code || ''} ${error.message}`);
    process.exit(1);
  });
}
