// Load for scripts/bench chat: N WebSocket clients of one chat, one of them the sender, spread over
// several Node processes so that the load generator is not the bottleneck of the measure.
// usage: node chat-load.js KIND PORT MODE CLIENTS [SECONDS|MESSAGES] [RATE] [PROCESSES]
//   KIND: switchboard (its JSON protocol, room "bench"), ws (raw text broadcast),
//         socketio (Engine.IO v4 / Socket.IO v5 over a plain WebSocket, event 'chat message'),
//         switchboard-deflate (switchboard with permessage-deflate offered by every client, and
//         every message the sender sends compressed; without it no client offers compression)
//   MODE: paced  - the sender sends RATE messages/s for SECONDS; every delivery's latency is kept
//         burst  - the sender sends MESSAGES at once; the clock runs until every client has all
//         idle   - CLIENTS connections that only answer pings; prints IDLE and waits for SIGTERM
//   PROCESSES: load processes the clients are split over (default 2); process 0 holds the sender.
// Every client uses the same `ws` client library, so the load costs the same for every server.
// Latency is the receipt time minus the send time written into the message, both read from
// process.hrtime (CLOCK_MONOTONIC on Linux: one clock for every process of the machine).
// Prints START/END around the measured window, then
//   RESULT kind=.. mode=.. clients=.. sent=.. expected=.. delivered=.. seconds=.. delivered_per_s=.. p50_us=.. p99_us=.. load_cpu_s=.. errors=..
// Connects to 127.0.0.1 only; every phase has a deadline, and every process ends by itself
// (idle: after 10 minutes at most; a load process also when its coordinator goes away).
'use strict';
const { fork } = require('child_process');
const { WebSocket } = require('ws');

const [kind, portArg, mode, clientsArg, amountArg, rateArg, processesArg] = process.argv.slice(2);
const port = Number(portArg);
const clients = Number(clientsArg);
const amount = Number(amountArg || (mode === 'burst' ? 1000 : 10));
const rate = Number(rateArg || 20);
const processes = Number(processesArg || 2);
const CONNECT_BATCH = 200;
const PHASE_TIMEOUT_MS = 120_000;
const IDLE_MAX_MS = 600_000;
const MAX_PROCESSES = 16;
/** Starts every payload, so a delivery's send time is found without parsing the envelope around it. */
const PAYLOAD_MARK = '#';
/** How Switchboard's message events begin (anything else is parsed; a message event not recognised here shows as missing deliveries). */
const SWITCHBOARD_MESSAGE = '{"type":"message",';
const KINDS = ['switchboard', 'ws', 'socketio', 'switchboard-deflate'];
/** The kind with compression: the switchboard protocol, permessage-deflate offered by every client. */
const deflate = kind === 'switchboard-deflate';
const protocol = deflate ? 'switchboard' : kind;
/** Every client's permessage-deflate: off, or offered with every message compressed (no threshold on the client's side). */
const PER_MESSAGE_DEFLATE = deflate ? { threshold: 0 } : false;

if (!KINDS.includes(kind) || !['paced', 'burst', 'idle'].includes(mode)
    || !(port > 0) || !(clients > 0 && clients <= 20000)
    || !(Number.isInteger(processes) && processes >= 1 && processes <= Math.min(MAX_PROCESSES, clients))) {
  console.error('usage: node chat-load.js ' + KINDS.join('|') + ' PORT paced|burst|idle CLIENTS [SECONDS|MESSAGES] [RATE] [PROCESSES 1-16]');
  process.exit(2);
}

function deadline(ms, what) {
  return new Promise((resolve, reject) => setTimeout(() => reject(new Error(what + ' took longer than ' + ms + ' ms')), ms).unref());
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (process.env.CHAT_LOAD_WORKER !== undefined) {
  worker(Number(process.env.CHAT_LOAD_WORKER), Number(process.env.CHAT_LOAD_FROM), Number(process.env.CHAT_LOAD_TO));
} else {
  coordinate().catch((e) => {
    console.error('chat-load: ' + e.message);
    process.exit(1);
  });
}

// ---- the coordinator: starts the load processes, opens the window, merges what they measured

async function coordinate() {
  const workers = [];
  const per = Math.ceil(clients / processes);
  for (let w = 0; w < processes; w++) {
    const from = w * per;
    const to = Math.min(clients, from + per);
    const child = fork(__filename, process.argv.slice(2), {
      env: { ...process.env, CHAT_LOAD_WORKER: String(w), CHAT_LOAD_FROM: String(from), CHAT_LOAD_TO: String(to) },
      serialization: 'advanced',
    });
    const inbox = [];
    const waiters = [];
    child.on('message', (m) => (waiters.length ? waiters.shift()(m) : inbox.push(m)));
    child.on('exit', (code) => {
      if (code !== 0 && !child.stopping) {
        console.error(`chat-load: load process ${w} exited with ${code}`);
        process.exit(1);
      }
    });
    const next = (what) => Promise.race([
      inbox.length ? Promise.resolve(inbox.shift()) : new Promise((r) => waiters.push(r)),
      deadline(PHASE_TIMEOUT_MS * 2, what),
    ]);
    workers.push({ child, next, clients: to - from });
  }
  const stopAll = () => workers.forEach((w) => { w.child.stopping = true; w.child.kill('SIGTERM'); });
  process.on('SIGTERM', () => { stopAll(); process.exit(0); });

  const connected = await Promise.all(workers.map((w) => w.next('connecting')));
  if (mode === 'idle') {
    console.log(`IDLE ${connected.reduce((n, m) => n + m.connected, 0)}`);
    setTimeout(() => { stopAll(); process.exit(0); }, IDLE_MAX_MS).unref();
    await new Promise(() => {});
  }
  // Let the joins' own fan-out (switchboard) settle before the window opens.
  await sleep(1000);
  const messages = mode === 'burst' ? amount : Math.round(amount * rate);
  workers.forEach((w) => w.child.send({ track: w.clients * messages }));
  await Promise.all(workers.map((w) => w.next('tracking')));
  console.log('START');
  workers[0].child.send({ send: messages });
  const results = await Promise.all(workers.map((w) => w.next('delivery')));
  console.log('END');
  const windowStart = results[0].sentAt;
  const windowEnd = results.reduce((end, r) => (r.lastAt > end ? r.lastAt : end), windowStart);
  const seconds = Number(windowEnd - windowStart) / 1e9;
  const latencies = new Float64Array(results.reduce((n, r) => n + r.latencies.length, 0));
  let at = 0;
  for (const r of results) {
    latencies.set(r.latencies, at);
    at += r.latencies.length;
  }
  latencies.sort();
  const delivered = results.reduce((n, r) => n + r.delivered, 0);
  const expected = messages * clients;
  let errors = results.reduce((n, r) => n + r.errors, 0);
  if (delivered !== expected) {
    console.error(`delivered ${delivered} of ${expected}`);
    errors++;
  }
  const cpu = results.reduce((n, r) => n + r.cpuMicros, 0);
  console.log(`RESULT kind=${kind} mode=${mode} clients=${clients} sent=${results[0].sent} expected=${expected} delivered=${delivered}`
    + ` seconds=${seconds.toFixed(3)} delivered_per_s=${Math.round(delivered / seconds)}`
    + ` p50_us=${Math.round(percentile(latencies, 0.5))} p99_us=${Math.round(percentile(latencies, 0.99))}`
    + ` load_cpu_s=${(cpu / 1e6).toFixed(3)} load_processes=${processes} errors=${errors}`);
  workers.forEach((w) => w.child.send({ stop: true }));
  await Promise.all(workers.map((w) => new Promise((r) => w.child.on('exit', r))));
  process.exit(errors === 0 ? 0 : 1);
}

function percentile(sorted, p) {
  if (sorted.length === 0) {
    return 0;
  }
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

// ---- a load process: clients FROM..TO-1 (client 0, in process 0, is the sender)

function worker(index, from, to) {
  let errors = 0;
  let latencies = new Float64Array(0);
  let delivered = 0;
  let expected = 0;
  let lastAt = 0n;
  let tracking = false;
  let sent = 0;
  let doneCheck = () => {};
  const all = [];
  // A load process never outlives its coordinator.
  process.on('disconnect', () => process.exit(1));
  process.on('SIGTERM', () => process.exit(0));

  function url() {
    switch (protocol) {
      case 'switchboard': return `ws://127.0.0.1:${port}/chat`;
      case 'socketio': return `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`;
      default: return `ws://127.0.0.1:${port}/`;
    }
  }

  // Wraps one connection: `ready` resolves once it can take part (joined / namespace connected).
  function client(i) {
    const ws = new WebSocket(url(), { perMessageDeflate: PER_MESSAGE_DEFLATE });
    const c = { ws, index: i };
    c.ready = new Promise((resolve, reject) => {
      ws.on('error', (e) => { errors++; reject(e); });
      ws.on('close', () => { if (tracking) errors++; });
      ws.on('open', () => {
        if (protocol === 'switchboard' && mode === 'idle') {
          resolve(c); // connected, in no room: an idle connection costs the same as in ws
        } else if (protocol === 'switchboard') {
          ws.send(JSON.stringify({ type: 'join', room: 'bench', nickname: 'c' + i }));
        } else if (protocol === 'ws') {
          resolve(c);
        }
      });
      ws.on('message', (data) => {
        const text = data.toString();
        if (protocol === 'switchboard') {
          if (text.startsWith(SWITCHBOARD_MESSAGE)) {
            received(text);
            return;
          }
          const e = JSON.parse(text);
          if (e.type === 'presence') {
            resolve(c);
          } else if (e.type === 'error') {
            errors++;
          }
        } else if (protocol === 'socketio') {
          if (text === '2') {
            ws.send('3');
          } else if (text.startsWith('0')) {
            ws.send('40');
          } else if (text.startsWith('40')) {
            resolve(c);
          } else if (text.startsWith('42')) {
            received(text);
          }
        } else {
          received(text);
        }
      });
    });
    return c;
  }

  // The payload is PAYLOAD_MARK + seq + ':' + send time, found by position: the server's envelope
  // (Switchboard's event, Socket.IO's packet) is not parsed, so reading a delivery costs the load
  // about the same for every server and the latency is the server's, not the load's JSON parser.
  function received(text) {
    if (!tracking) {
      return;
    }
    const t = process.hrtime.bigint();
    const mark = text.indexOf(PAYLOAD_MARK);
    const at = text.indexOf(':', mark);
    const end = text.indexOf('"', at);
    const sentAt = BigInt(text.slice(at + 1, end < 0 ? text.length : end));
    if (delivered < latencies.length) {
      latencies[delivered] = Number(t - sentAt) / 1000;
    }
    delivered++;
    lastAt = t;
    doneCheck();
  }

  function send(sender, seq) {
    const text = PAYLOAD_MARK + seq + ':' + process.hrtime.bigint();
    if (protocol === 'switchboard') {
      sender.ws.send(JSON.stringify({ type: 'message', text }));
    } else if (protocol === 'socketio') {
      sender.ws.send('42' + JSON.stringify(['chat message', text]));
    } else {
      sender.ws.send(text);
    }
    sent++;
  }

  async function connectAll() {
    for (let i = from; i < to; i += CONNECT_BATCH) {
      const batch = [];
      for (let j = i; j < Math.min(to, i + CONNECT_BATCH); j++) {
        batch.push(client(j));
      }
      await Promise.race([Promise.all(batch.map((c) => c.ready)), deadline(PHASE_TIMEOUT_MS, 'connecting')]);
      all.push(...batch);
    }
  }

  async function sendAll(messages) {
    const sender = all[0];
    const sentAt = process.hrtime.bigint();
    if (mode === 'burst') {
      for (let i = 0; i < messages; i++) {
        send(sender, i);
      }
    } else {
      const interval = 1000 / rate;
      const startMs = Number(sentAt / 1000000n);
      for (let i = 0; i < messages; i++) {
        const wait = startMs + i * interval - Number(process.hrtime.bigint() / 1000000n);
        if (wait > 0) {
          await sleep(wait);
        }
        send(sender, i);
      }
    }
    return sentAt;
  }

  async function measure(expectedHere) {
    expected = expectedHere;
    latencies = new Float64Array(expected);
    const allIn = new Promise((resolve) => {
      doneCheck = () => { if (delivered >= expected) resolve(); };
    });
    const cpuAtStart = process.cpuUsage();
    tracking = true;
    process.send({ tracking: true });
    const sending = new Promise((resolve) => process.once('message', (m) => resolve(m.send)));
    const sentAt = index === 0 ? await sending.then(sendAll) : null;
    await Promise.race([allIn, deadline(PHASE_TIMEOUT_MS, 'delivery')]).catch((e) => { console.error(e.message); errors++; });
    tracking = false;
    const cpu = process.cpuUsage(cpuAtStart);
    process.send({
      sentAt, sent, lastAt,
      delivered, errors, cpuMicros: cpu.user + cpu.system,
      latencies: latencies.subarray(0, Math.min(delivered, latencies.length)),
    });
  }

  connectAll()
    .then(() => {
      process.send({ connected: all.length });
      if (mode === 'idle') {
        setTimeout(() => process.exit(0), IDLE_MAX_MS).unref();
        return;
      }
      process.once('message', (m) => {
        measure(m.track).catch((e) => { console.error(e.message); process.exit(1); });
        process.on('message', (next) => {
          if (next.stop) {
            all.forEach((c) => c.ws.terminate());
            process.exit(errors === 0 ? 0 : 1);
          }
        });
      });
    })
    .catch((e) => {
      console.error(`chat-load ${index}: ${e.message}`);
      process.exit(1);
    });
}
