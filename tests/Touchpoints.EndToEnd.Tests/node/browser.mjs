// analytics.js (@segment/analytics-next) in a real Chromium (@sparticuz/chromium, driven by playwright-core), configured
// as the README says, on a page served from an origin the collector allows:
//   node browser.mjs '<json: { host, writeKey, userId, origin }>'
// Prints one JSON line: the page's outcome and every request the page made to anything but its own origin.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import chromium from '@sparticuz/chromium';
import { chromium as playwright } from 'playwright-core';

const { host, writeKey, userId, origin } = JSON.parse(process.argv[2] ?? '{}');
const require = createRequire(import.meta.url);
const umd = path.join(path.dirname(require.resolve('@segment/analytics-next/package.json')), 'dist', 'umd');
const page = `<!doctype html><html><head><script src="/umd/index.js"></script></head><body><script>
(async () => {
  try {
    const { AnalyticsBrowser } = window.AnalyticsNext;
    const [analytics] = await AnalyticsBrowser.load(
      { writeKey: ${JSON.stringify(writeKey)}, cdnSettings: { integrations: { 'Segment.io': { apiKey: ${JSON.stringify(writeKey)} } } } },
      { integrations: { 'Segment.io': { apiHost: ${JSON.stringify(host.replace(/^https?:\/\//, '') + '/api/v1')}, protocol: 'http' } } });
    await analytics.page('Pricing', { path: '/pricing' });
    await analytics.identify(${JSON.stringify(userId)}, { email: ${JSON.stringify(userId + '@example.org')} });
    await analytics.track('Product Viewed', { product_id: 'sku-9', price: 12 });
    window.result = 'sent';
  } catch (e) { window.result = 'error: ' + (e && e.stack || e); }
})();
</script></body></html>`;
const server = http.createServer((req, res) => {
  if (req.url === '/') { res.writeHead(200, { 'content-type': 'text/html' }); return res.end(page); }
  const file = path.join(umd, path.basename(req.url));
  if (req.url.startsWith('/umd/') && fs.existsSync(file)) { res.writeHead(200, { 'content-type': 'application/javascript' }); return res.end(fs.readFileSync(file)); }
  res.writeHead(404); res.end();
});
const port = Number(new URL(origin).port);
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const browser = await playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true });
const requests = [];
try {
  const tab = await browser.newPage();
  tab.on('response', (r) => { if (!r.url().startsWith(origin)) requests.push({ method: r.request().method(), url: r.url(), status: r.status() }); });
  tab.on('requestfailed', (r) => { if (!r.url().startsWith(origin)) requests.push({ method: r.method(), url: r.url(), failed: r.failure()?.errorText ?? 'failed' }); });
  await tab.goto(origin + '/');
  await tab.waitForFunction(() => window.result, null, { timeout: 60000 });
  // analytics-next resolves a call when it is delivered; the last responses are logged just after.
  await tab.waitForLoadState('networkidle');
  console.log(JSON.stringify({ result: await tab.evaluate(() => window.result), requests }));
} finally {
  await browser.close();
  server.close();
}
