// A big room: 10,000 words from 1,000 people (150 groups) in a word cloud, and 2,000 notes on
// a jam board, while the projector shows them. The projector must keep up: the page's main
// thread never blocked for long (the cloud is laid out in a worker), and what it shows is
// the room's count.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  PROJECTOR,
  api,
  axe,
  bulkEntries,
  bulkParticipants,
  hostSocket,
  launchBrowser,
  openPage,
  pageProblems,
  shot,
  startServer,
} from './harness.mjs';

/** Longest stretch the projector's main thread may be busy while results stream in. */
const LONGEST_TASK_MS = 250;

let server;
let browser;
let created;
let host;
let projector;

/** Starts counting the projector's long tasks (main-thread work over 50 ms). */
async function watchLongTasks(page) {
  await page.evaluate(() => {
    window.__long = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__long.push(Math.round(entry.duration));
    }).observe({ type: 'longtask' });
  });
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  created = await api(server.url, 'POST', '/api/sessions', {
    title: 'A big room',
    agenda: [
      { kind: 'wordcloud', prompt: 'One word for today?', max_entries: 10, profanity_filter: true, stop_words: [] },
      { kind: 'jamboard', title: 'Everything', frames: ['Barriers', 'Successes'], dots: 0, notes_per_participant: 20 },
    ],
  });
  host = await hostSocket(server.url, created.code, created.host_key);
  projector = await openPage(browser, 'projector', { viewport: PROJECTOR });
  await projector.goto(`${server.url}/present/${created.code}#key=${created.present_key}`);
  await projector.locator('main').getByText('Join on your phone').waitFor();
});

after(async () => {
  host?.close();
  await browser?.close();
  await server?.stop();
});

describe('a big room on the projector', () => {
  it('10,000 words in 150 groups: the cloud keeps up', { timeout: 180_000 }, async () => {
    const [cloud] = created.agenda.map((activity) => activity.id);
    await host.send({ type: 'goto', activity: cloud });
    await projector.locator('main').getByText('No words yet.').waitFor();
    await watchLongTasks(projector);
    // 400 different words, a few given often and most rarely: the cloud gets the top 150.
    const words = Array.from({ length: 10_000 }, (_, i) => `word${Math.floor(400 * (((i * 7919) % 10_000) / 10_000) ** 2)}`);
    const sent = await bulkEntries(server.url, { code: created.code, activity: cloud, words, perPerson: 10 });
    assert.equal(sent.acked, 10_000, `refused: ${sent.refused.slice(0, 3)}`);
    await projector.locator('main').getByText('10000 words from 1000 people').waitFor({ timeout: 20_000 });
    await projector.waitForTimeout(2500);
    const drawn = await projector.locator('svg.cloud text').count();
    assert.ok(drawn >= 30, `the cloud draws ${drawn} words`);
    const long = await projector.evaluate(() => window.__long);
    const layouts = await projector.evaluate(() =>
      performance.getEntriesByName('chorus-cloud-layout').map((entry) => Math.round(entry.duration)),
    );
    assert.ok(layouts.length >= 1, 'the cloud was laid out');
    assert.ok(Math.max(0, ...long) < LONGEST_TASK_MS, `the projector was blocked for ${Math.max(...long)} ms (${long})`);
    await shot(projector, '40-projector-10000-words');
    assert.deepEqual(await axe(projector, 'projector, 10,000 words'), []);
  });

  it('2,000 notes: the board pages by itself and keeps up', { timeout: 180_000 }, async () => {
    const [, board] = created.agenda.map((activity) => activity.id);
    await host.send({ type: 'goto', activity: board });
    await projector.getByRole('heading', { name: /Barriers/ }).waitFor();
    await watchLongTasks(projector);
    const people = Array.from({ length: 100 }, (_, p) =>
      Array.from({ length: 20 }, (_, n) => ({
        type: 'note_add',
        activity: board,
        frame: n % 2,
        text: `Note ${p * 20 + n + 1}: ${n % 3 === 0 ? 'not enough time to plan together' : 'good teams share the work'}`,
        color: ['yellow', 'pink', 'blue', 'green', 'orange', 'purple'][n % 6],
      })),
    );
    const sent = await bulkParticipants(server.url, created.code, people);
    assert.equal(sent.acked, 2_000, `refused: ${sent.refused.slice(0, 3)}`);
    await projector.locator('main').getByText(/Page 1 of \d+/).waitFor({ timeout: 20_000 });
    await projector.locator('main').getByText('· 2000 notes').waitFor({ timeout: 20_000 });
    await projector.waitForTimeout(1500);
    const fits = await projector.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight + 4);
    assert.ok(fits, 'a page of notes fits on the screen');
    const long = await projector.evaluate(() => window.__long);
    assert.ok(Math.max(0, ...long) < LONGEST_TASK_MS, `the projector was blocked for ${Math.max(...long)} ms (${long})`);
    await shot(projector, '41-projector-2000-notes');
    assert.deepEqual(await axe(projector, 'projector, 2,000 notes'), []);
    assert.deepEqual(pageProblems([projector]), []);
  });
});
