// Load for scripts/bench chat: N WebSocket clients of one chat, one of them the sender.
// usage: node chat-load.js KIND PORT MODE CLIENTS [SECONDS|MESSAGES] [RATE]
//   KIND: switchboard (its JSON protocol, room "bench"), ws (raw text broadcast),
//         socketio (Engine.IO v4 / Socket.IO v5 over a plain WebSocket, event 'chat message')
//   MODE: paced  - the sender sends RATE messages/s for SECONDS; every delivery's latency is kept
//         burst  - the sender sends MESSAGES at once; the clock runs until every client has all
//         idle   - CLIENTS connections that only answer pings; prints IDLE and waits for SIGTERM
// Every client uses the same `ws` client library, so the load costs the same for every server.
// Prints START/END around the measured window, then
//   RESULT kind=.. mode=.. clients=.. sent=.. expected=.. delivered=.. seconds=.. delivered_per_s=.. p50_us=.. p99_us=.. load_cpu_s=.. errors=..
// Connects to 127.0.0.1 only; every phase has a deadline, and the process always ends by itself
// (idle: after 10 minutes at most).
'use strict';
const { WebSocket } = require('ws');

const [kind, portArg, mode, clientsArg, amountArg, rateArg] = process.argv.slice(2);
const port = Number(portArg);
const clients = Number(clientsArg);
const amount = Number(amountArg || (mode === 'burst' ? 1000 : 10));
const rate = Number(rateArg || 20);
const CONNECT_BATCH = 200;
const PHASE_TIMEOUT_MS = 120_000;
const IDLE_MAX_MS = 600_000;

if (!['switchboard', 'ws', 'socketio'].includes(kind) || !['paced', 'burst', 'idle'].includes(mode)
    || !(port > 0) || !(clients > 0 && clients <= 20000)) {
  console.error('usage: node chat-load.js switchboard|ws|socketio PORT paced|burst|idle CLIENTS [SECONDS|MESSAGES] [RATE]');
  process.exit(2);
}

let errors = 0;
let cpuAtStart = null;
const latencies = [];
let delivered = 0;
let expected = 0;
let sent = 0;
let tracking = false;
let doneCheck = () => {};

function url() {
  switch (kind) {
    case 'switchboard': return `ws://127.0.0.1:${port}/chat`;
    case 'socketio': return `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`;
    default: return `ws://127.0.0.1:${port}/`;
  }
}

// Wraps one connection: `ready` resolves once it can take part (joined / namespace connected).
function client(index) {
  const ws = new WebSocket(url(), { perMessageDeflate: false });
  const c = { ws, index };
  c.ready = new Promise((resolve, reject) => {
    ws.on('error', (e) => { errors++; reject(e); });
    ws.on('close', () => { if (tracking) errors++; });
    ws.on('open', () => {
      if (kind === 'switchboard' && mode === 'idle') {
        resolve(c); // connected, in no room: an idle connection costs the same as in ws
      } else if (kind === 'switchboard') {
        ws.send(JSON.stringify({ type: 'join', room: 'bench', nickname: 'c' + index }));
      } else if (kind === 'ws') {
        resolve(c);
      }
    });
    ws.on('message', (data) => {
      const text = data.toString();
      if (kind === 'switchboard') {
        const e = JSON.parse(text);
        if (e.type === 'presence') {
          resolve(c);
        } else if (e.type === 'message') {
          received(e.text);
        } else if (e.type === 'error') {
          errors++;
        }
      } else if (kind === 'socketio') {
        if (text === '2') {
          ws.send('3');
        } else if (text.startsWith('0')) {
          ws.send('40');
        } else if (text.startsWith('40')) {
          resolve(c);
        } else if (text.startsWith('42')) {
          received(JSON.parse(text.slice(2))[1]);
        }
      } else {
        received(text);
      }
    });
  });
  return c;
}

function received(text) {
  if (!tracking) {
    return;
  }
  const t = process.hrtime.bigint();
  const at = text.indexOf(':');
  const sentAt = BigInt(text.slice(at + 1));
  latencies.push(Number(t - sentAt) / 1000);
  delivered++;
  doneCheck();
}

function payload(seq) {
  return seq + ':' + process.hrtime.bigint();
}

function send(sender, seq) {
  const text = payload(seq);
  if (kind === 'switchboard') {
    sender.ws.send(JSON.stringify({ type: 'message', text }));
  } else if (kind === 'socketio') {
    sender.ws.send('42' + JSON.stringify(['chat message', text]));
  } else {
    sender.ws.send(text);
  }
  sent++;
}

function deadline(ms, what) {
  return new Promise((resolve, reject) => setTimeout(() => reject(new Error(what + ' took longer than ' + ms + ' ms')), ms).unref());
}

async function connectAll(n) {
  const all = [];
  for (let i = 0; i < n; i += CONNECT_BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + CONNECT_BATCH); j++) {
      batch.push(client(j));
    }
    await Promise.race([Promise.all(batch.map((c) => c.ready)), deadline(PHASE_TIMEOUT_MS, 'connecting')]);
    all.push(...batch);
  }
  return all;
}

function percentile(sorted, p) {
  if (sorted.length === 0) {
    return 0;
  }
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function finish(windowStart, windowEnd, cpu) {
  const seconds = Number(windowEnd - windowStart) / 1e9;
  latencies.sort((a, b) => a - b);
  if (delivered !== expected) {
    console.error(`delivered ${delivered} of ${expected}`);
    errors++;
  }
  console.log(`RESULT kind=${kind} mode=${mode} clients=${clients} sent=${sent} expected=${expected} delivered=${delivered}`
    + ` seconds=${seconds.toFixed(3)} delivered_per_s=${Math.round(delivered / seconds)}`
    + ` p50_us=${Math.round(percentile(latencies, 0.5))} p99_us=${Math.round(percentile(latencies, 0.99))}`
    + ` load_cpu_s=${((cpu.user + cpu.system) / 1e6).toFixed(3)} errors=${errors}`);
}

async function main() {
  const all = await connectAll(clients);
  if (mode === 'idle') {
    console.log(`IDLE ${all.length}`);
    setTimeout(() => process.exit(0), IDLE_MAX_MS).unref();
    process.on('SIGTERM', () => process.exit(errors === 0 ? 0 : 1));
    await new Promise(() => {});
  }
  const sender = all[0];
  // Let the joins' own fan-out (switchboard) settle before the window opens.
  await new Promise((r) => setTimeout(r, 1000));
  const messages = mode === 'burst' ? amount : Math.round(amount * rate);
  expected = messages * clients;
  const allIn = new Promise((resolve) => {
    doneCheck = () => { if (delivered >= expected) resolve(); };
  });
  tracking = true;
  console.log('START');
  cpuAtStart = process.cpuUsage();
  const windowStart = process.hrtime.bigint();
  if (mode === 'burst') {
    for (let i = 0; i < messages; i++) {
      send(sender, i);
    }
  } else {
    const interval = 1000 / rate;
    for (let i = 0; i < messages; i++) {
      const due = Number(windowStart / 1000000n) + i * interval;
      const wait = due - Number(process.hrtime.bigint() / 1000000n);
      if (wait > 0) {
        await new Promise((r) => setTimeout(r, wait));
      }
      send(sender, i);
    }
  }
  await Promise.race([allIn, deadline(PHASE_TIMEOUT_MS, 'delivery')]).catch((e) => { console.error(e.message); errors++; });
  const windowEnd = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpuAtStart);
  console.log('END');
  tracking = false;
  finish(windowStart, windowEnd, cpu);
  for (const c of all) {
    c.ws.terminate();
  }
  process.exit(errors === 0 ? 0 : 1);
}

main().catch((e) => {
  console.error('chat-load: ' + e.message);
  process.exit(1);
});
