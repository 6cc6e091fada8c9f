// Node's seed example, unchanged: one process, one event loop.
// usage: node http-hello.js [PORT]   (or PORT in the environment; default 3000)
'use strict';
const http = require('node:http');

const port = Number(process.argv[2] || process.env.PORT || 3000);

http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('Hello World');
}).listen(port, '127.0.0.1', () => console.log(`node http up: http://127.0.0.1:${port}`));
