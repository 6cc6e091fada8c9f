// The greeter: a Node.js program serving the event bus address greeter.hello through the bridge.
// JVM services call it like any other service on the bus (GET /api/greet on the http service).
//
// Settings (environment): SWITCHBOARD_BRIDGE_HOST (127.0.0.1), SWITCHBOARD_BRIDGE_PORT (7000),
// SWITCHBOARD_BRIDGE_TOKEN (when the bridge asks for one).

import { connect } from '../bridge/clients/node/index.js';

export const ADDRESS = 'greeter.hello';
export const MAX_NAME_LENGTH = 100;

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
  const bus = await connect({ host, port, token, retryInitialConnect: true, maxReconnectDelay: 5000 });
  bus.on('disconnected', () => log(`lost the bridge at ${host}:${port}; reconnecting`));
  bus.on('connected', () => log(`back on the bus through ${host}:${port}`));
  bus.on('error', (error) => log(`error: ${error.code || ''} ${error.message}`));
  await bus.register(ADDRESS, (message) => greet(message.body));
  log(`greeter-node up: bridge=${host}:${port} address=${ADDRESS} pid=${process.pid}`);

  let stopping = false;
  const stop = async (signal) => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: stopping`);
    await bus.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function log(line) {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    log(`greeter-node cannot start: ${error.code || ''} ${error.message}`);
    process.exit(1);
  });
}
