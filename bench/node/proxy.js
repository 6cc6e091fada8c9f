// The Node.js reference for the gateway benchmark: a minimal reverse proxy on Node's core http
// module, round-robin over the given backends with keep-alive connections, bodies piped both
// ways, under the cluster module with one worker per core. No retries, health checks, metrics or
// request ids: the least a Node proxy does.
// usage: node proxy.js PORT BACKEND_PORT[,BACKEND_PORT...] [WORKERS]
'use strict';
const cluster = require('node:cluster');
const http = require('node:http');
const os = require('node:os');

const port = Number(process.argv[2]);
const backends = String(process.argv[3] || '').split(',').filter(Boolean).map(Number);
const workers = Number(process.argv[4]) || (os.availableParallelism ? os.availableParallelism() : os.cpus().length);
if (!port || backends.length === 0) {
  console.error('usage: node proxy.js PORT BACKEND_PORT[,BACKEND_PORT...] [WORKERS]');
  process.exit(2);
}

if (cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('listening', () => {
      if (++listening === workers) console.log(`node proxy up: http://127.0.0.1:${port} workers=${workers} backends=${backends}`);
    });
  }
  const stop = () => {
    cluster.on('exit', () => Object.keys(cluster.workers).length === 0 && process.exit(0));
    for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop).on('SIGINT', stop);
} else {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let next = 0;
  http.createServer((req, res) => {
    const backend = backends[next++ % backends.length];
    const upstream = http.request({ host: '127.0.0.1', port: backend, method: req.method, path: req.url, headers: req.headers, agent },
      answer => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  }).listen(port, '127.0.0.1');
}
