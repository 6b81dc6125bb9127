// The console in a real Chromium (@sparticuz/chromium, driven by playwright-core), as an agent on the phone uses it:
//   node console.mjs '<json: { host, phone, ticket, order, out }>'
// Signs in (the development sign-in), finds the caller by the phone number as said aloud, opens the 360's support tab;
// runs axe-core on every screen; walks the find form by keyboard; measures the loads in the browser; tries to publish
// rules as the agent (the API must refuse); then signs in again as a marketer and reads the statistics' charts; saves a
// screenshot of each screen under `out`.
// Prints one JSON line with what it saw.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import chromium from '@sparticuz/chromium';
import { chromium as playwright } from 'playwright-core';

const { host, phone, ticket, order, out } = JSON.parse(process.argv[2] ?? '{}');
const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
fs.mkdirSync(out, { recursive: true });

const browser = await playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args, headless: true });
const result = { screens: {}, violations: [], keyboard: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  // Every control of a screen, reached by Tab alone: each gets a mark, and Tab is pressed until focus comes round again.
  result.unreachable = [];
  const keyboardWalk = async (name) => {
    const total = await page.evaluate(() => {
      const controls = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea')]
        .filter((e) => !e.disabled && e.getClientRects().length > 0);
      controls.forEach((e, i) => e.setAttribute('data-walk', String(i)));
      document.activeElement?.blur();
      return controls.length;
    });
    // Round the page until focus comes back to where it started (or three times as many presses as controls).
    const reached = new Set();
    let first = null;
    for (let i = 0; i < 3 * total + 10; i++) {
      await page.keyboard.press('Tab');
      const mark = await page.evaluate(() => document.activeElement?.getAttribute('data-walk'));
      if (mark === null || mark === undefined) continue;
      if (mark === first) break;
      first ??= mark;
      reached.add(mark);
    }
    // A radio group is one stop: Tab reaches its checked radio, the arrow keys the others.
    const missed = await page.evaluate((seen) => {
      const reachedGroups = new Set([...document.querySelectorAll('input[type=radio][data-walk]')]
        .filter((e) => seen.includes(e.getAttribute('data-walk'))).map((e) => e.name));
      return [...document.querySelectorAll('[data-walk]')]
        .filter((e) => !seen.includes(e.getAttribute('data-walk')) && !(e.type === 'radio' && reachedGroups.has(e.name)))
        .map((e) => e.outerHTML.slice(0, 80));
    }, [...reached]);
    for (const m of missed) result.unreachable.push({ screen: name, control: m });
  };
  const audit = async (name) => {
    await page.addScriptTag({ content: axeSource });
    const found = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length })));
    for (const v of found) result.violations.push({ screen: name, ...v });
    await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
    await keyboardWalk(name);
  };
  const timing = () => page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return { ms: Math.round(n.loadEventEnd - n.startTime), bytes: n.transferSize || n.encodedBodySize };
  });

  // First load: signed out, the console sends the agent to sign in.
  const started = Date.now();
  await page.goto(host + '/api/console');
  await page.waitForLoadState('load');
  result.screens.signIn = { url: page.url(), wallMs: Date.now() - started, ...(await timing()) };
  await audit('sign-in');
  await page.check('input[value="agent"]');
  await Promise.all([page.waitForURL('**/api/console'), page.click('button[type="submit"]')]);
  result.screens.find = { url: page.url(), ...(await timing()) };
  await audit('find');

  // Keyboard only: from the top of the page, Tab reaches the search box and its button.
  await page.keyboard.press('Tab');
  for (let i = 0; i < 12; i++) {
    result.keyboard.push(await page.evaluate(() => {
      const e = document.activeElement;
      return e ? `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.getAttribute('type') ? '[' + e.getAttribute('type') + ']' : ''}` : '';
    }));
    await page.keyboard.press('Tab');
  }

  // The caller gives his number as people say it; the search goes in the body of a POST.
  await page.fill('#q', phone);
  await Promise.all([page.waitForURL('**/api/console/customers/**'), page.press('#q', 'Enter')]);
  result.screens.customer = { url: page.url(), ...(await timing()) };
  await audit('customer-360');
  const supportStarted = Date.now();
  await Promise.all([page.waitForURL('**tab=support'), page.click('a[href*="tab=support"]')]);
  result.screens.support = { url: page.url(), wallMs: Date.now() - supportStarted, ...(await timing()) };
  result.supportText = await page.textContent('section.panel');
  result.header = await page.textContent('h1');
  result.sawTicket = result.supportText.includes(ticket);
  result.sawOrder = result.supportText.includes(order);
  await audit('customer-360-support');

  // The agent tries to publish rules anyway, straight at the API: refused there, not only hidden.
  result.publishStatus = await page.evaluate(async () => {
    const body = new URLSearchParams({ document: '{}', comment: 'an agent should not' });
    return (await fetch('/api/console/rules', { method: 'POST', body })).status;
  });

  // A marketer: signs out, signs in with that role, and reads the rules' statistics, drawn.
  await Promise.all([page.waitForURL('**/api/console/signin'), page.click('header button[type="submit"]')]);
  await page.check('input[value="marketer"]');
  await Promise.all([page.waitForURL('**/api/console'), page.click('main button[type="submit"]')]);
  await page.goto(host + '/api/console/stats');
  result.screens.stats = { url: page.url(), ...(await timing()) };
  result.stats = await page.evaluate(() => ({
    charts: document.querySelectorAll('svg[role="img"]').length,
    bars: document.querySelectorAll('svg rect title').length,
    verdicts: [...document.querySelectorAll('#uplift-title ~ p')].map((p) => p.textContent),
  }));
  await audit('stats');
  await page.goto(host + '/api/console/stats?rule=order-thank-you');
  result.stats.rule = await page.textContent('#days-title');
  await audit('stats-rule');

  // The workbench: the marketer breaks a rule, sees the problem at its line, fixes it, sees the change, publishes, rolls back.
  await page.goto(host + '/api/console/rules');
  const original = await page.inputValue('#document');
  const broken = original.replace(/"priority": (\d+)/, '"priority": "high"');
  result.workbench = { brokenLine: original.slice(0, original.search(/"priority": \d+/)).split('\n').length };
  await page.fill('#document', broken);
  await Promise.all([page.waitForURL('**/rules/check'), page.click('button[formaction$="/rules/check"]')]);
  result.workbench.problems = await page.textContent('section[aria-labelledby="errors-title"]');
  // The problem is marked in the editor at its line; its link puts the caret there.
  result.workbench.markedLine = Number(await page.$eval('.editor .backdrop mark.problem', (m) => m.dataset.line));
  await page.click('a.go-to');
  result.workbench.caretLine = await page.$eval('#document', (a) => a.value.slice(0, a.selectionStart).split('\n').length);
  await audit('rules-problem');
  await page.fill('#document', original.replace(/"priority": (\d+)/, (_, p) => `"priority": ${Number(p) + 1}`));
  await Promise.all([page.waitForURL('**/rules/diff'), page.click('button[formaction$="/rules/diff"]')]);
  result.workbench.diff = await page.textContent('section[aria-labelledby="diff-title"] h2');
  await Promise.all([page.waitForURL('**/rules/preview'), page.click('button[formaction$="/rules/preview"]')]);
  result.workbench.preview = await page.textContent('section[aria-labelledby="preview-title"]');
  await audit('rules-preview');
  await page.fill('#comment', 'one step more important');
  await Promise.all([page.waitForURL('**/api/console/rules'), page.click('form.card button.primary')]);
  result.workbench.published = await page.textContent('p.message');
  result.workbench.versions = await page.$$eval('section[aria-labelledby="versions-title"] tbody tr', (rows) => rows.map((r) => r.textContent.replace(/\s+/g, ' ').trim()));
  await audit('rules-published');
  await Promise.all([page.waitForURL('**/rules/rollback/**'), page.click('section[aria-labelledby="versions-title"] tbody tr:nth-child(2) button')]);
  result.workbench.rolledBack = await page.textContent('p.message');

  // An admin: the privacy page, and the export of the caller.
  await Promise.all([page.waitForURL('**/api/console/signin'), page.click('header button[type="submit"]')]);
  await page.check('input[value="admin"]');
  await Promise.all([page.waitForURL('**/api/console'), page.click('main button[type="submit"]')]);
  await page.goto(host + '/api/console/privacy');
  await audit('privacy');
  await page.fill('#identifier', phone);
  await Promise.all([page.waitForURL('**/api/console/privacy'), page.click('main button.primary')]);
  result.export = (await page.textContent('main')).includes(ticket);
  await audit('privacy-export');
} catch (e) {
  result.error = String(e && e.stack || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
