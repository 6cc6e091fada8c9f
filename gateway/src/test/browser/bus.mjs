// The official SockJS client and Vert.x event bus client against the gateway's /eventbus, over one
// SockJS transport: register on a permitted address and receive what the bus publishes there, send
// to a permitted address and get the reply, send to a refused one and hear the refusal in the
// callback at once, register on a refused one and hear it in the handler.
// Usage: node bus.mjs EVENTBUS_URL TRANSPORT   (websocket, xhr-streaming or xhr-polling)
// Prints "OK TRANSPORT" and exits 0 when every step passed; otherwise a message on stderr, exit 1.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const EventBus = require('@vertx/eventbus-bridge-client.js');

const [url, transport] = process.argv.slice(2);
if (!url || !transport) {
  console.error('usage: node bus.mjs EVENTBUS_URL TRANSPORT');
  process.exit(2);
}
const STEP_MS = 10_000;
/** A refusal must come back this fast; without an addressed err frame it would never come. */
const REFUSAL_MS = 8_000;
/** How often t.echo is asked, and how long each time for its publication, before the step fails. */
const ECHO_ATTEMPTS = 20;
const PUBLISHED_WAIT_MS = 250;
const unhandled = [];
const closes = [];
const overall = setTimeout(() => fail('took longer than 45 s'), 45_000);

function fail(why) {
  console.error('FAILED (' + transport + '): ' + why + '; unhandled frames: ' + JSON.stringify(unhandled)
    + '; closes: ' + JSON.stringify(closes));
  process.exit(1);
}

function within(ms, what, body) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out: ' + what)), ms);
    body((value) => { clearTimeout(timer); resolve(value); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

const bus = new EventBus(url, { transports: [transport], vertxbus_reconnect_attempts_max: 0 });
bus.onerror = (e) => unhandled.push(e);
bus.onclose = (e) => closes.push({ code: e && e.code, reason: e && e.reason });

try {
  await within(STEP_MS, 'the bus opened', (ok) => { bus.onopen = ok; });
  const published = within(STEP_MS, 'a message published on the bus reached the page', (ok) => {
    bus.registerHandler('chat.room.bus', {}, (err, message) => (err ? fail('handler: ' + JSON.stringify(err)) : ok(message.body)));
  });
  // t.echo (on another node) publishes on chat.room.bus once it has replied. The page's handler is
  // registered on the gateway's node, and reaches the other node's view of the cluster a moment
  // later, which the page cannot see: it asks again, bounded, until one publication arrives.
  let seen;
  for (let attempt = 1; seen === undefined && attempt <= ECHO_ATTEMPTS; attempt++) {
    const reply = await within(STEP_MS, 'the reply of t.echo', (ok, ko) => {
      bus.send('t.echo', { from: transport }, {}, (err, message) => (err ? ko(new Error(JSON.stringify(err))) : ok(message.body)));
    });
    if (reply.from !== transport) fail('reply ' + JSON.stringify(reply));
    seen = await Promise.race([published, new Promise((resolve) => setTimeout(resolve, PUBLISHED_WAIT_MS))]);
  }
  if (seen === undefined) seen = await published; // the step's own limit, then its failure
  if (seen.echoed !== transport) fail('published ' + JSON.stringify(seen));
  const started = Date.now();
  const refusal = await within(REFUSAL_MS, 'the refusal of a send to t.secret', (ok) => {
    bus.send('t.secret', {}, {}, (err) => ok(err));
  });
  if (!refusal || refusal.message !== 'access_denied') fail('refusal ' + JSON.stringify(refusal));
  const denied = await within(REFUSAL_MS, 'the refusal of a register on secret.room', (ok) => {
    bus.registerHandler('secret.room', {}, (err) => ok(err));
  });
  if (!denied || denied.message !== 'access_denied') fail('register refusal ' + JSON.stringify(denied));
  console.log('OK ' + transport + ' (refusals in ' + (Date.now() - started) + ' ms)');
  clearTimeout(overall);
  bus.close();
  setTimeout(() => process.exit(0), 100);
} catch (e) {
  fail(e && e.message ? e.message : String(e));
}
