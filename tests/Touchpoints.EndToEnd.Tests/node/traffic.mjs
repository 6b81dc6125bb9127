// Sends traffic to the local host with the vendors' own libraries, as real senders would:
//   node traffic.mjs <step> '<json options>'
// Steps:
//   segment  — @segment/analytics-node: { host, writeKey, calls: [{ type: 'page'|'track'|'identify', ...message }], defaults }
//              (defaults: true keeps the library's own settings — batching, retries, compression — but for where to send)
//   rudder   — @rudderstack/rudder-sdk-node at its defaults (gzip on): { dataPlaneUrl, writeKey, calls }
//   stripe   — a Stripe event signed with stripe.webhooks.generateTestHeaderString: { url, secret, event }
//   crm      — a canonical CRM event signed with standardwebhooks' Webhook#sign: { url, secret, event, msgId }
// Prints one JSON line: what was sent and what the server answered.
import { Analytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import Stripe from 'stripe';
import { Webhook } from 'standardwebhooks';

const [step, json] = process.argv.slice(2);
const options = JSON.parse(json ?? '{}');

async function segment({ host, writeKey, calls, defaults }) {
  const analytics = defaults
    ? new Analytics({ writeKey, host, path: '/api/v1/batch' })
    : new Analytics({ writeKey, host, path: '/api/v1/batch', flushAt: 1, maxRetries: 1, httpRequestTimeout: 30000 });
  const errors = [];
  const requests = [];
  analytics.on('error', (e) => errors.push(String(e?.reason ?? e?.message ?? e?.code ?? JSON.stringify(e))));
  analytics.on('http_request', (r) => requests.push({ url: r.url, method: r.method }));
  for (const { type, ...message } of calls) {
    if (type === 'page') analytics.page(message);
    else if (type === 'track') analytics.track(message);
    else if (type === 'identify') analytics.identify(message);
    else throw new Error(`unknown call type ${type}`);
  }
  await analytics.closeAndFlush({ timeout: 30000 });
  return { sent: calls.length, requests, errors };
}

async function rudder({ dataPlaneUrl, writeKey, calls }) {
  const errors = [];
  // Only where to send and how to hear of errors: batching, retries and gzip are the library's defaults.
  const client = new RudderAnalytics(writeKey, { dataPlaneUrl, errorHandler: (e) => errors.push(String(e?.message ?? e)) });
  for (const { type, ...message } of calls) {
    if (type === 'page') client.page(message);
    else if (type === 'track') client.track(message);
    else if (type === 'identify') client.identify(message);
    else throw new Error(`unknown call type ${type}`);
  }
  await client.flush();
  return { sent: calls.length, errors };
}

async function post(url, body, headers) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await response.text();
  return { status: response.status, body: text };
}

async function stripe({ url, secret, event }) {
  const client = new Stripe('sk_test_local_not_used');
  const payload = JSON.stringify(event);
  const header = client.webhooks.generateTestHeaderString({ payload, secret });
  return post(url, payload, { 'Stripe-Signature': header });
}

async function crm({ url, secret, event, msgId }) {
  const payload = JSON.stringify(event);
  const timestamp = new Date();
  const signature = new Webhook(secret).sign(msgId, timestamp, payload);
  return post(url, payload, {
    'webhook-id': msgId,
    'webhook-timestamp': Math.floor(timestamp.getTime() / 1000).toString(),
    'webhook-signature': signature,
  });
}

const steps = { segment, rudder, stripe, crm };
if (!steps[step]) {
  console.error(`usage: node traffic.mjs <${Object.keys(steps).join('|')}> '<json>'`);
  process.exit(2);
}
try {
  console.log(JSON.stringify(await steps[step](options)));
} catch (e) {
  console.error(e?.stack ?? String(e));
  process.exit(1);
}
