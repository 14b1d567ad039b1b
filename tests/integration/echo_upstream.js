#!/usr/bin/env node
// A tiny upstream for the nginx auth_request tests: answers every request
// with JSON describing what it received (method, URL, every header with
// repeats kept), so a test can see exactly which identity headers nginx
// passed on. Node's standard library only.
//
// Usage: node echo_upstream.js PORT [PORT_FILE]
//   PORT 0 picks a free port; the port actually bound is written to
//   PORT_FILE (when given) once the server listens.
'use strict';
const http = require('http');
const fs = require('fs');

const [portArg, portFile] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  const pairs = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    pairs.push([req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]]);
  }
  const body = JSON.stringify({ method: req.method, url: req.url, headers: pairs });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(body + '\n');
});
server.listen(Number(portArg || 0), '127.0.0.1', () => {
  if (portFile) fs.writeFileSync(portFile, String(server.address().port));
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
