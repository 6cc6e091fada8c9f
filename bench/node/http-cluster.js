// The seed example under the cluster module: one worker per core, all sharing the port
// (the primary accepts and hands connections out round-robin, Node's default on Linux).
// usage: node http-cluster.js [PORT] [WORKERS]   (PORT also from the environment; default 3000)
'use strict';
const cluster = require('node:cluster');
const http = require('node:http');
const os = require('node:os');

const port = Number(process.argv[2] || process.env.PORT || 3000);
const workers = Number(process.argv[3]) || (os.availableParallelism ? os.availableParallelism() : os.cpus().length);

if (cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('listening', () => {
      if (++listening === workers) console.log(`node cluster up: http://127.0.0.1:${port} workers=${workers}`);
    });
  }
  // Stop the workers with us, and leave once they are gone.
  const stop = () => {
    cluster.on('exit', () => Object.keys(cluster.workers).length === 0 && process.exit(0));
    for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop).on('SIGINT', stop);
} else {
  http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('Hello World');
  }).listen(port, '127.0.0.1');
}
