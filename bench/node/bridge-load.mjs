// A bounded request/reply load through the bridge with the Node.js client: CONCURRENCY requests
// outstanding for WARMUP + SECONDS, only the last SECONDS counted; each reply must equal its
// request. Prints one "RESULT rps=... p50_ms=... p99_ms=... errors=... requests=..." line.
//
//   node bench/node/bridge-load.mjs HOST PORT ADDRESS [CONCURRENCY=100] [SECONDS=10] [WARMUP=3]
import { connect } from '../../services/bridge/clients/node/index.js';

const [host, port, address, concurrency = '100', seconds = '10', warmup = '3'] = process.argv.slice(2);
if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
  console.error('bridge-load: loopback only');
  process.exit(2);
}
const bus = await connect({ host, port: Number(port), requestTimeout: 10_000 });
const payload = { text: 'x'.repeat(64) };
const expected = JSON.stringify(payload);
const start = process.hrtime.bigint();
const measureFrom = start + BigInt(Number(warmup) * 1e9);
const end = measureFrom + BigInt(Number(seconds) * 1e9);
const latencies = [];
let errors = 0;

async function loop() {
  for (;;) {
    const sent = process.hrtime.bigint();
    if (sent >= end) {
      return;
    }
    try {
      const reply = await bus.request(address, payload);
      const done = process.hrtime.bigint();
      if (JSON.stringify(reply.body) !== expected) {
        throw new Error('reply differs');
      }
      if (sent >= measureFrom) {
        latencies.push(Number(done - sent) / 1e6);
      }
    } catch (error) {
      if (++errors <= 5) {
        console.error(`error: ${error.code || ''} ${error.message}`);
      }
    }
  }
}

await Promise.all(Array.from({ length: Number(concurrency) }, loop));
await bus.close();
latencies.sort((a, b) => a - b);
const pick = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] : NaN);
console.log(`RESULT rps=${Math.round(latencies.length / Number(seconds))} p50_ms=${pick(0.5).toFixed(3)} p99_ms=${pick(0.99).toFixed(3)} errors=${errors} requests=${latencies.length}`);
process.exit(errors === 0 ? 0 : 1);
