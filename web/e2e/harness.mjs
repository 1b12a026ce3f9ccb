// What the end-to-end tests share: the real server, started from its binary on a free port
// with a fresh data directory; the system Chromium (never a downloaded browser); pages that
// turn script errors and Content-Security-Policy violations into failures; axe-core; and a
// few checks that axe cannot make.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import { AxeBuilder } from '@axe-core/playwright';
import { chromium } from 'playwright-core';

export const OUT = new URL('../test-output/', import.meta.url).pathname;
mkdirSync(OUT, { recursive: true });

/** WCAG 2.0, 2.1 and 2.2, levels A and AA. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export const PHONE = { width: 360, height: 740 };
export const LAPTOP = { width: 1280, height: 860 };
export const PROJECTOR = { width: 1280, height: 720 };

/**
 * Starts `chorus serve` on 127.0.0.1 with a free port and a fresh data directory, and reads
 * its address from the first line it prints. `stop()` ends it and removes the directory.
 */
export async function startServer() {
  // CHORUS_BIN as given (relative to where the tests run), or the debug build beside web/.
  const bin = process.env.CHORUS_BIN
    ? resolve(process.env.CHORUS_BIN)
    : fileURLToPath(new URL('../../target/debug/chorus', import.meta.url));
  const dataDir = await mkdtemp(join(tmpdir(), 'chorus-e2e-'));
  // The server as it starts by default: no admin token, no public URL of its own.
  // The tests play whole rooms from this one address, far faster than people: the budgets per
  // address (joins, messages, sessions started) are raised so that they do not slow them.
  const env = {
    ...process.env,
    RUST_LOG: process.env.RUST_LOG ?? 'warn',
    CHORUS_JOINS_PER_ADDRESS: '100000',
    CHORUS_WRITES_PER_ADDRESS: '100000',
    CHORUS_SESSIONS_PER_ADDRESS: '1000',
  };
  for (const name of ['CHORUS_ADMIN_TOKEN', 'CHORUS_PUBLIC_URL', 'CHORUS_ALLOWED_ORIGINS', 'CHORUS_BIND', 'CHORUS_DATA_DIR']) {
    delete env[name];
  }
  const child = spawn(bin, ['serve', '--bind', '127.0.0.1:0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout });
  const url = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server printed no address in 30 s: ${stderr}`)), 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${bin}: ${error.message} (build it with \`cargo build\`, or set CHORUS_BIN)`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server stopped at once (exit ${code}): ${stderr}`));
    });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const match = /Chorus is running at (https?:\/\/\S+)/.exec(line);
      if (match) resolvePort(match[1].replace('//localhost:', '//127.0.0.1:').replace(/\/$/, ''));
      else reject(new Error(`unexpected first line: ${line}`));
    });
  });
  // Keep reading, so that the pipe never fills; the last lines help when a test fails.
  lines.on('line', (line) => {
    stderr = `${stderr}${line}\n`.slice(-4000);
  });
  return {
    url,
    dataDir,
    /** The last lines the server printed. */
    output: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
        await once(child, 'exit').catch(() => {});
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: \`apt-get install chromium\`, or set CHROMIUM to its path`);
  }
  return chromium.launch({
    executablePath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A page in its own browser context (its own storage: one person) that records script
 * errors, CSP violations, Svelte warnings and dialogs in `page.problems`.
 */
export async function openPage(browser, name, { viewport = LAPTOP, reducedMotion = 'no-preference', ...options } = {}) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, reducedMotion, acceptDownloads: true, ...options });
  const page = await context.newPage();
  page.problems = [];
  page.dialogs = [];
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to/i.test(text)) page.problems.push(`${name}: CSP violation: ${text}`);
    else if (text.includes('[svelte]')) page.problems.push(`${name}: Svelte warning: ${text}`);
    else if (message.type() === 'error' && !/Failed to load resource.*(40[0-9]|41[0-9]|429)/.test(text)) {
      page.problems.push(`${name}: console error: ${text}`);
    }
  });
  page.on('pageerror', (error) => page.problems.push(`${name}: script error: ${error.message}`));
  page.on('dialog', (dialog) => {
    page.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => {});
  });
  return page;
}

/** Runs axe-core on the page as it is now: the WCAG 2.x A and AA rules must all pass. */
export async function axe(page, state) {
  const result = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  return result.violations.map(
    (v) =>
      `${state}: ${v.id} (${v.impact}): ${v.help}: ${v.nodes
        .slice(0, 3)
        .map((n) => n.target.join(' '))
        .join(', ')}`,
  );
}

/** Whether the page scrolls sideways at its current width. */
export async function scrollsSideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);
}

/** The elements that stick out past the right edge (to say why a page scrolls sideways). */
export async function widest(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll('body *')]
      .filter((element) => element.getBoundingClientRect().right > width + 1)
      .slice(-4)
      .map((element) => `${element.tagName.toLowerCase()}.${[...element.classList].join('.')} → ${Math.round(element.getBoundingClientRect().right)}px`);
  });
}

/** Saves a full-page screenshot in test-output/. */
export async function shot(page, name) {
  await page.screenshot({ path: `${OUT}${name}.png`, fullPage: true });
}

/** The focused element's outline (or box shadow), to check that focus is visible. */
export async function focusIndicator(page) {
  return page.evaluate(() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2;
    const shadow = style.boxShadow && style.boxShadow !== 'none';
    // A radio hidden under its drawn face shows focus on the face beside it.
    const face = element.nextElementSibling ? getComputedStyle(element.nextElementSibling) : null;
    const faceOutline = face ? face.outlineStyle !== 'none' && Number.parseFloat(face.outlineWidth) >= 2 : false;
    return {
      tag: element.tagName.toLowerCase(),
      text: (element.textContent ?? '').trim().slice(0, 60),
      visible: outline || !!shadow || faceOutline,
    };
  });
}

/**
 * Counts what the page's polite live regions say, from now on: every change of their text,
 * with the time it happened.
 */
export async function recordAnnouncements(page) {
  await page.evaluate(() => {
    const said = [];
    window.__announcements = said;
    const observe = (region) => {
      new MutationObserver(() => {
        const text = (region.textContent ?? '').trim();
        if (text) said.push({ at: performance.now(), text });
      }).observe(region, { childList: true, characterData: true, subtree: true });
    };
    document.querySelectorAll('[aria-live="polite"]').forEach(observe);
  });
}

export async function announcements(page) {
  return page.evaluate(() => window.__announcements ?? []);
}

/**
 * Waits (up to `timeout` ms) until the live region has said something matching `pattern`.
 * The announcer empties the region and says each message 100 ms later, one after another,
 * so a message said as something appears on screen reaches the region a moment after it;
 * a test that reads the announcements at once can miss the last. Returns quietly on time-out:
 * the caller's assertion says what was heard instead.
 */
export async function heard(page, pattern, { timeout = 5000 } = {}) {
  await page
    .waitForFunction((source) => (window.__announcements ?? []).some((a) => new RegExp(source).test(a.text)), pattern.source, {
      timeout,
    })
    .catch(() => {});
}

/**
 * Participants who connect from here over the WebSocket (no browser: Chromium opens new
 * WebSockets slowly when there are many), each joining and sending its list of requests
 * (`id` added), for filling a word cloud or a board quickly. Answers how many were
 * acknowledged and refused, with the refusals' messages.
 */
export async function bulkParticipants(base, code, people, { together = 40 } = {}) {
  if (typeof WebSocket === 'undefined') {
    throw new Error('this Node.js has no WebSocket: run with --experimental-websocket (Node 20) or Node 22+');
  }
  const url = `${base.replace(/^http/, 'ws')}/ws`;
  let acked = 0;
  const refused = [];
  const one = (requests) =>
    new Promise((done) => {
      const socket = new WebSocket(url);
      let waiting = requests.length;
      const finish = () => {
        clearTimeout(timer);
        socket.close();
        done();
      };
      const timer = setTimeout(finish, 30_000);
      socket.onopen = () => socket.send(JSON.stringify({ type: 'join', code, token: null }));
      socket.onmessage = (event) => {
        const message = JSON.parse(String(event.data));
        if (message.type === 'welcome') {
          if (waiting === 0) finish();
          requests.forEach((request, i) => socket.send(JSON.stringify({ ...request, id: i + 1 })));
        } else if (message.type === 'ack' || (message.type === 'error' && message.id != null)) {
          if (message.type === 'ack') acked++;
          else refused.push(message.message);
          if (--waiting === 0) finish();
        }
      };
      socket.onerror = () => finish();
    });
  for (let i = 0; i < people.length; i += together) await Promise.all(people.slice(i, i + together).map(one));
  return { acked, refused };
}

/** Word-cloud entries from participants, `perPerson` each. */
export function bulkEntries(base, { code, activity, words, perPerson }) {
  const people = [];
  for (let i = 0; i < words.length; i += perPerson) {
    people.push(words.slice(i, i + perPerson).map((text) => ({ type: 'answer', activity, text })));
  }
  return bulkParticipants(base, code, people);
}

/** The server's HTTP API, with the host key where given. */
export async function api(base, method, path, body, key) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(key ? { Authorization: `Bearer ${key}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A facilitator over the WebSocket, for tests that do not look at the console. */
export async function hostSocket(base, code, key) {
  const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/ws`);
  let next = 1;
  const waiting = new Map();
  /** The latest results the console would show (hidden items included), by activity. */
  const results = new Map();
  await new Promise((resolveOpen, reject) => {
    socket.onerror = () => reject(new Error('host socket failed'));
    socket.onopen = () => socket.send(JSON.stringify({ type: 'host', code, key }));
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data));
      if (message.type === 'welcome_host') resolveOpen();
      if (message.type === 'results') results.set(message.activity, message.data);
      const done = message.id != null ? waiting.get(message.id) : undefined;
      if (done && (message.type === 'ack' || message.type === 'error')) {
        waiting.delete(message.id);
        done(message);
      }
    };
  });
  return {
    send(request) {
      const id = next++;
      return new Promise((done) => {
        waiting.set(id, done);
        socket.send(JSON.stringify({ ...request, id }));
      });
    },
    results: (activity) => results.get(activity) ?? null,
    close: () => socket.close(),
  };
}

/** Throws with every problem the pages recorded (script errors, CSP, dialogs). */
export function pageProblems(pages) {
  return pages.flatMap((page) => [...page.problems, ...page.dialogs.map((d) => `dialog opened: ${d}`)]);
}
