// The Vert.x event bus client against a gateway whose /eventbus asks for tokens, over one SockJS
// transport: the token in the URL's access_token query parameter, or in the headers of the first
// frame (the client lets a caller give any send its headers). A send to "who" must come back with
// the token's subject, a register on "room.staff" (a scope the token lacks) must be refused.
// Usage: node bus-auth.mjs EVENTBUS_URL TRANSPORT query|headers TOKEN
// Prints "OK TRANSPORT MODE" and exits 0 when every step passed; otherwise a message on stderr, exit 1.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const EventBus = require('@vertx/eventbus-bridge-client.js');

const [url, transport, mode, token] = process.argv.slice(2);
if (!url || !transport || !['query', 'headers'].includes(mode) || !token) {
  console.error('usage: node bus-auth.mjs EVENTBUS_URL TRANSPORT query|headers TOKEN');
  process.exit(2);
}
const STEP_MS = 10_000;
const overall = setTimeout(() => fail('took longer than 45 s'), 45_000);
const unhandled = [];

function fail(why) {
  console.error('FAILED (' + transport + ' ' + mode + '): ' + why + '; unhandled frames: ' + JSON.stringify(unhandled));
  process.exit(1);
}

function within(ms, what, body) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out: ' + what)), ms);
    body((value) => { clearTimeout(timer); resolve(value); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

function who(headers) {
  return within(STEP_MS, 'the reply of who', (ok, ko) => {
    bus.send('who', {}, headers, (err, message) => (err ? ko(new Error(JSON.stringify(err))) : ok(message.body)));
  });
}

const address = mode === 'query' ? url + '?access_token=' + encodeURIComponent(token) : url;
const bus = new EventBus(address, { transports: [transport], vertxbus_reconnect_attempts_max: 0 });
bus.onerror = (e) => unhandled.push(e);

try {
  await within(STEP_MS, 'the bus opened', (ok) => { bus.onopen = ok; });
  const first = await who(mode === 'headers' ? { access_token: token } : {});
  if (first.subject !== 'ada') fail('first reply ' + JSON.stringify(first));
  if (first.token !== null) fail('the token travelled on to the bus: ' + JSON.stringify(first));
  const second = await who({});
  if (second.subject !== 'ada') fail('second reply ' + JSON.stringify(second));
  const denied = await within(STEP_MS, 'the refusal of a register on room.staff', (ok) => {
    bus.registerHandler('room.staff', {}, (err) => ok(err));
  });
  if (!denied || denied.failureCode !== 403) fail('register refusal ' + JSON.stringify(denied));
  console.log('OK ' + transport + ' ' + mode);
  clearTimeout(overall);
  bus.close();
  setTimeout(() => process.exit(0), 100);
} catch (e) {
  fail(e && e.message ? e.message : String(e));
}
