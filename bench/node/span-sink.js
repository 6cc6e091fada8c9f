// A trace collector that keeps nothing: answers every POST of spans with 202 once its body is read,
// so that a benchmark of tracing measures what recording and sending spans cost the services, not
// what a trace server spends storing them. Prints how many requests and bytes it took on SIGTERM.
//
//   node bench/node/span-sink.js PORT
const http = require('node:http');

const port = Number(process.argv[2]);
let requests = 0;
let bytes = 0;
const server = http.createServer((request, response) => {
  request.on('data', (chunk) => { bytes += chunk.length; });
  request.on('end', () => {
    requests += 1;
    response.writeHead(202).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log(`span sink up: ${port}`));
process.on('SIGTERM', () => {
  console.log(`span sink took ${requests} exports, ${bytes} bytes`);
  server.close();
  process.exit(0);
});
