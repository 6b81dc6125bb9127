// A destination for the delivery tests: an HTTP server that checks every message's Standard Webhooks signature with the
// `standardwebhooks` npm package (the reference implementation a real receiver would use), once per secret it is given,
// and remembers what it received. Control: GET /received, POST /control {"failing": bool, "now": epochMs}.
// Usage: node destination.mjs '{"secrets": ["whsec_…", …]}'; prints "listening <port>" once ready.
import http from "node:http";
import { Webhook } from "standardwebhooks";

const options = JSON.parse(process.argv[2] ?? "{}");
const verifiers = (options.secrets ?? []).map((s) => new Webhook(s));
const received = [];
let failing = false;
let now = null; // the sender's clock when the tests move it; the real one otherwise

function verify(webhook, body, headers) {
  const realNow = Date.now;
  if (now !== null) Date.now = () => now;
  try {
    webhook.verify(body, headers);
    return true;
  } catch {
    return false;
  } finally {
    Date.now = realNow;
  }
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    if (req.method === "GET" && req.url === "/received") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(received));
      return;
    }
    if (req.method === "POST" && req.url === "/control") {
      const c = JSON.parse(body || "{}");
      if (typeof c.failing === "boolean") failing = c.failing;
      if ("now" in c) now = c.now;
      if (c.clear) received.length = 0;
      res.writeHead(204);
      res.end();
      return;
    }
    const verifiedBy = verifiers.map((v) => verify(v, body, req.headers));
    const entry = {
      path: req.url,
      id: req.headers["webhook-id"] ?? null,
      timestamp: req.headers["webhook-timestamp"] ?? null,
      verifiedBy,
      failed: failing,
      body: (() => { try { return JSON.parse(body); } catch { return body; } })(),
    };
    received.push(entry);
    if (!verifiedBy.some((v) => v)) {
      res.writeHead(401);
      res.end("bad signature");
      return;
    }
    res.writeHead(failing ? 503 : 204);
    res.end();
  });
});
server.listen(0, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
