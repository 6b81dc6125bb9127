#!/usr/bin/env node
// Starts @vercel/cosmosdb-server for tests and local hosting.
// Its own CLI cannot turn keep-alive on, and answering "connection: close" makes every SDK call pay for a new TCP connection.
// Usage: node cosmosdb-server.js [port=0] [host=127.0.0.1]
// Prints "Ready to accept HTTP connections at <host>:<port>" once listening (port 0 lets the OS pick a free one).
"use strict";

const { createHttpServer } = require("@vercel/cosmosdb-server");

const port = Number.parseInt(process.argv[2] ?? "0", 10);
const host = process.argv[3] ?? "127.0.0.1";

const server = createHttpServer({ keepAlive: true });
// Outlive the client's idle-connection timeout so the server never closes a socket the client is about to reuse.
server.keepAliveTimeout = 10 * 60 * 1000;
server.headersTimeout = server.keepAliveTimeout + 1000;

server.listen(port, host, () => {
  const { port: actualPort } = server.address();
  console.log(`Ready to accept HTTP connections at ${host}:${actualPort}`);
});

const stop = () => server.close(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
