// Node's net echo: every byte back, with pipe's backpressure.
// usage: node echo.js [PORT]   (or PORT in the environment; default 9999)
'use strict';
const net = require('node:net');

const port = Number(process.argv[2] || process.env.PORT || 9999);

net.createServer((socket) => {
  socket.on('error', () => socket.destroy());
  socket.pipe(socket);
}).listen(port, '127.0.0.1', () => console.log(`node echo up: 127.0.0.1:${port}`));
