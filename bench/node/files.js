// Node's streaming example as a file server: fs.createReadStream(file).pipe(res), with the length
// and nothing else. Serves the files directly in ROOT as /files/NAME (no subdirectories, no dot
// names), for scripts/bench files.
// usage: node files.js PORT ROOT
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const port = Number(process.argv[2] || 3001);
const root = path.resolve(process.argv[3] || '.');

http.createServer((req, res) => {
  const name = decodeURIComponent((req.url || '').replace(/^\/files\//, ''));
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name)) {
    res.writeHead(404).end();
    return;
  }
  const file = path.join(root, name);
  fs.stat(file, (err, stat) => {
    if (err || !stat.isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': stat.size });
    fs.createReadStream(file).pipe(res);
  });
}).listen(port, '127.0.0.1', () => console.log(`node files up: http://127.0.0.1:${port} root=${root}`));
