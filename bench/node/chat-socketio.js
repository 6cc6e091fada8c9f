// The seeds' Socket.IO chat: io.emit of every 'chat message' to everyone, sender included.
// usage: node chat-socketio.js [PORT]   (or PORT in the environment; default 3002)
'use strict';
const http = require('node:http');
const { Server } = require('socket.io');

const port = Number(process.argv[2] || process.env.PORT || 3002);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('socket.io chat');
});
const io = new Server(server);

io.on('connection', (socket) => {
  socket.on('chat message', (msg) => io.emit('chat message', msg));
});
server.listen(port, '127.0.0.1', () => console.log(`node socket.io chat up: http://127.0.0.1:${port}/`));
