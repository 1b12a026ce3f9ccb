// The workshop day rehearsed in the room (issue 12): the seed agenda — four "I statements"
// asked Before and After, a word cloud of about 150 words, two jam boards of 60 notes with
// dot voting, a timer, closing — with three projectors (1024×768, 1280×720, 1920×1080),
// two phones (320 and 390 px wide) and a console. On every screen of it: every statement
// row, every note, the join code and the timer are inside the window and overlap nothing,
// no projector text is smaller than 24 px at 1280×720, and axe-core finds no WCAG 2.2 A/AA
// violation. The crowd's answers and notes come over WebSockets (the phones' own screens
// are tested by tapping in workshop.test.mjs); the two browser phones answer by tapping.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  LAPTOP,
  api,
  axe,
  bulkEntries,
  bulkParticipants,
  hostSocket,
  launchBrowser,
  openPage,
  pageProblems,
  scrollsSideways,
  shot,
  startServer,
  widest,
} from './harness.mjs';

const TITLE = 'Co-production training, session 1';
const STATEMENTS = [
  'I understand the term co-production',
  'I know how to use co-production within my daily life',
  'I feel confident working with parent carers and young people as equal partners',
  'I can name one change I will make in my own work after today',
];
const SIZES = [
  { name: '1024x768', width: 1024, height: 768 },
  { name: '1280x720', width: 1280, height: 720 },
  { name: '1920x1080', width: 1920, height: 1080 },
];
const PHONES = [
  { name: 'phone-320', width: 320, height: 640 },
  { name: 'phone-390', width: 390, height: 844 },
];
const POINTS = ['1 \u2014 Not at all', '2 \u2014 A little', '3 \u2014 Somewhat', '4 \u2014 Mostly', '5 \u2014 Completely'];
/** Where the screenshots go: test-output/ always; REHEARSAL_SHOTS=dir for the docs. */
const SHOTS = process.env.REHEARSAL_SHOTS ?? null;

const WORDS = [
  'together', 'partnership', 'listening', 'equal', 'trust', 'respect', 'sharing', 'voice', 'teamwork',
  'collaboration', 'inclusion', 'involvement', 'co-design', 'openness', 'honesty', 'power', 'family',
  'empowerment', 'dialogue', 'understanding', 'fairness', 'belonging', 'kindness', 'patience', 'learning',
  'community', 'choice', 'control', 'shared decisions', 'lived experience', 'equality', 'support',
  'time', 'care', 'hope', 'change', 'growth', 'courage', 'curiosity', 'feedback',
];

const BARRIERS = [
  'Not enough time', 'Meetings in school hours', 'Jargon in letters', 'Parents not paid for their time',
  'Decisions made before we are asked', 'Staff turnover', 'No budget for interpreters', 'Hard to reach venues',
  'Forms that are too long', 'Feeling judged', 'Nobody replies to emails', 'Short notice for meetings',
  'Too many acronyms', 'Online only', 'No childcare', 'Tokenism', 'Waiting lists', 'Fear of complaining',
  'Same voices every time', 'Unclear who decides',
];
const SUCCESSES = [
  'Parent carer forum', 'Coffee mornings', 'Plain English letters', 'Young people on the panel',
  'Paid participation', 'Feedback you said, we did', 'Evening meetings', 'Shared training', 'Peer support',
  'Co-written policy', 'Local offer review', 'Transport paid', 'Easy read versions', 'Drop-in sessions',
  'Named contact person', 'Meetings at school gates', 'Translated leaflets', 'Surveys by text',
  'Family days', 'Youth forum',
];
const PLEDGES = [
  'Ask before deciding', 'Reply within a week', 'Pay for time', 'Meet in the evening', 'Use plain words',
  'Invite young people', 'Share the budget', 'Close the loop', 'Offer childcare', 'Book accessible rooms',
  'Explain acronyms', 'Send papers early', 'Rotate the chair', 'Visit the forum', 'Record decisions',
  'Listen first', 'Say thank you', 'Follow up', 'Bring a colleague', 'Be honest about limits',
];

let server;
let browser;
let session;
let host;
let projectors = [];
let phones = [];
let console_;
let broken = null;
/** The server has issue 12's additions (it acknowledged `show_on_projector`). */
let roomServer = false;
const agendaIds = {};

function step(name, fn, { timeout = 120_000 } = {}) {
  it(name, { timeout }, async (t) => {
    if (broken) {
      t.skip(`an earlier step failed (${broken})`);
      return;
    }
    try {
      await fn(t);
    } catch (error) {
      broken = name;
      for (const page of [...projectors, ...phones, console_].filter(Boolean)) {
        await shot(page, `rehearsal-failed-${page.label}`).catch(() => {});
      }
      throw error;
    }
  });
}

/** Saves a window-sized screenshot (what the room sees), in test-output/ and for the docs. */
async function screen(page, name) {
  await page.screenshot({ path: `${new URL('../test-output/', import.meta.url).pathname}rehearsal-${name}.png` });
  if (SHOTS) await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

/**
 * Every element matching `selector` (visible ones) is inside the window and overlaps none
 * of the others nor any of `others`. Answers how many were checked.
 */
async function fitsAndApart(page, what, selector, others = []) {
  const problems = await page.evaluate(
    ({ selector, others }) => {
      const width = document.documentElement.clientWidth;
      const height = window.innerHeight;
      const visible = (element) => {
        const box = element.getBoundingClientRect();
        const style = getComputedStyle(element);
        return box.width > 0 && box.height > 0 && style.visibility !== 'hidden';
      };
      const describe = (element) => (element.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 40);
      const items = [...document.querySelectorAll(selector)].filter(visible);
      const fixed = others.flatMap((other) => [...document.querySelectorAll(other)].filter(visible));
      const found = [];
      const boxes = items.map((element) => ({ element, box: element.getBoundingClientRect() }));
      for (const { element, box } of boxes) {
        if (box.left < -0.5 || box.top < -0.5 || box.right > width + 0.5 || box.bottom > height + 0.5) {
          found.push(`"${describe(element)}" is outside the window: ${Math.round(box.left)},${Math.round(box.top)}–${Math.round(box.right)},${Math.round(box.bottom)} of ${width}×${height}`);
        }
      }
      const overlap = (a, b) =>
        Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          if (boxes[i].element.contains(boxes[j].element) || boxes[j].element.contains(boxes[i].element)) continue;
          if (overlap(boxes[i].box, boxes[j].box)) found.push(`"${describe(boxes[i].element)}" overlaps "${describe(boxes[j].element)}"`);
        }
        for (const other of fixed) {
          if (other.contains(boxes[i].element) || boxes[i].element.contains(other)) continue;
          if (overlap(boxes[i].box, other.getBoundingClientRect())) {
            found.push(`"${describe(boxes[i].element)}" overlaps "${describe(other)}"`);
          }
        }
      }
      return { count: items.length, found };
    },
    { selector, others },
  );
  assert.deepEqual(problems.found, [], `${what} on ${page.label}`);
  return problems.count;
}

/**
 * The smallest text on the page (visually hidden text, the cloud's drawing — the ranked list
 * says it in large type — and whatever `skip` matches aside), in CSS pixels.
 */
async function smallestText(page, skip = '.pnote') {
  return page.evaluate((skip) => {
    let smallest = { size: Infinity, text: '' };
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent?.trim();
      const element = node.parentElement;
      if (!text || !element) continue;
      if (element.closest(`.visually-hidden, [hidden], svg.cloud, .status-corner, .measurer, ${skip}`)) continue;
      const box = element.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;
      const size = Number.parseFloat(getComputedStyle(element).fontSize);
      if (size < smallest.size) smallest = { size, text: text.slice(0, 40) };
    }
    return smallest;
  }, skip);
}

async function noViolations(page, state) {
  assert.deepEqual(await axe(page, `${state} (${page.label})`), [], `axe-core found WCAG problems in ${state} on ${page.label}`);
}

/** The phones, on every screen of the day: axe-core, and nothing wider than the phone. */
async function checkPhones(state) {
  for (const page of phones) {
    await page.waitForTimeout(200);
    assert.equal(await scrollsSideways(page), false, `${state} scrolls sideways on ${page.label}: ${(await widest(page)).join('; ')}`);
    await noViolations(page, `phone, ${state}`);
  }
}

/** The checks every projector gets on every screen of the day. */
async function checkProjectors(state, { rows = false, notes = 0, timer = false } = {}) {
  for (const page of projectors) {
    await fitsAndApart(page, 'the join code', '.small-code, .code-huge', ['.countdown', '.activity-title', '.qr-small']);
    if (timer) {
      await page.locator('.countdown').waitFor();
      await fitsAndApart(page, 'the timer', '.countdown', ['.small-code', '.activity-title', '.small-joined', '.qr-small', 'main']);
    }
    if (rows) {
      const count = rows === true ? STATEMENTS.length : rows;
      const seen = await statementRowsOverPages(page, count);
      assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i), `every statement shown on ${page.label}`);
    }
    if (notes > 0) {
      const seen = await notesOverPages(page);
      assert.equal(seen.size, notes, `every note shown on ${page.label}`);
    }
    if (page.label === '1280x720') {
      // 24 px for everything; a board's notes shrink to fit, never below 18 px.
      const small = await smallestText(page);
      assert.ok(small.size >= 24, `text smaller than 24 px at 1280×720 in ${state}: ${small.size} px ("${small.text}")`);
      const notes = await smallestText(page, 'header');
      assert.ok(notes.size >= 18, `notes smaller than 18 px at 1280×720 in ${state}: ${notes.size} px ("${notes.text}")`);
    }
    assert.equal(await scrollsSideways(page), false, `${state} scrolls sideways on ${page.label}: ${(await widest(page)).join('; ')}`);
    await noViolations(page, state);
  }
}

/** The statement rows on each page the projector turns to: each fits and overlaps nothing. */
async function statementRowsOverPages(page, count = STATEMENTS.length) {
  const seen = new Set();
  const pages = await pageCount(page);
  assert.ok(pages <= count, `${pages} pages for ${count} statements on ${page.label}`);
  for (let p = 0; p < pages; p++) {
    if (pages > 1) await turnTo(page, p);
    await fitsAndApart(page, `statement rows (page ${p + 1} of ${pages})`, 'tr.srow:not([hidden])', ['header.bar', '.tools', 'thead']);
    for (const index of await page.locator('tr.srow:not([hidden])').evaluateAll((rows) => rows.map((row) => row.sectionRowIndex))) {
      seen.add(index);
    }
  }
  if (pages > 1) await host.send({ type: 'projector_page', page: null });
  return seen;
}

async function notesOverPages(page) {
  const seen = new Set();
  const pages = await pageCount(page);
  for (let p = 0; p < pages; p++) {
    if (pages > 1) await turnTo(page, p);
    await fitsAndApart(page, `notes (page ${p + 1} of ${pages})`, '[data-note]', ['header.bar', '.frame-title']);
    for (const id of await page.locator('[data-note]').evaluateAll((notes) => notes.map((note) => note.dataset.note))) seen.add(id);
  }
  if (pages > 1) await host.send({ type: 'projector_page', page: null });
  return seen;
}

/** Pages of the projector's results now (`data-pages` on the results). */
async function pageCount(page) {
  await page.waitForTimeout(300);
  const pages = await page.locator('[data-pages]').first().getAttribute('data-pages').catch(() => null);
  return Number(pages ?? 1) || 1;
}

/**
 * Turns the projector to page `p` by the facilitator's hand; on a server without
 * `projector_page`, waits for the pages to turn there by themselves (every 10 s).
 */
async function turnTo(page, p) {
  const turned = (await host.send({ type: 'projector_page', page: p })).type === 'ack';
  await page.waitForFunction((want) => document.querySelector('[data-page]')?.getAttribute('data-page') === String(want), p, {
    timeout: turned ? 5_000 : 25_000,
  });
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the workshop day rehearsed', () => {
  step('the session is created with the seed agenda; projectors, console and phones open', async () => {
    session = await api(server.url, 'POST', '/api/sessions', {
      title: TITLE,
      agenda: [
        {
          kind: 'scale',
          title: 'How do you feel about co-production?',
          statements: STATEMENTS,
          min: 1,
          max: 5,
          labels: { min: 'Not at all', max: 'Completely', points: ['Not at all', 'A little', 'Somewhat', 'Mostly', 'Completely'] },
          rounds: ['Before', 'After'],
        },
        { kind: 'wordcloud', prompt: 'What word would you use instead of co-production?', max_entries: 3 },
        { kind: 'jamboard', title: 'What gets in the way, what works?', frames: ['Barriers', 'Successes', 'Pledges'], dots: 3, notes_per_participant: 3 },
        { kind: 'jamboard', title: 'Next steps', frames: ['Barriers', 'Successes'], dots: 3, notes_per_participant: 3 },
      ],
    });
    [agendaIds.scale, agendaIds.cloud, agendaIds.board, agendaIds.board2] = session.agenda.map((activity) => activity.id);
    host = await hostSocket(server.url, session.code, session.host_key);

    for (const size of SIZES) {
      const page = await openPage(browser, `projector ${size.name}`, { viewport: { width: size.width, height: size.height } });
      page.label = size.name;
      await page.goto(session.present_url.replace(/^https?:\/\/[^/]+/, server.url));
      await page.locator('main').getByText('Join on your phone').waitFor();
      projectors.push(page);
    }
    console_ = await openPage(browser, 'console', { viewport: LAPTOP });
    console_.label = 'console';
    await console_.goto(session.host_url.replace(/^https?:\/\/[^/]+/, server.url));
    await console_.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
    for (const size of PHONES) {
      const page = await openPage(browser, size.name, { viewport: { width: size.width, height: size.height }, isMobile: true, hasTouch: true });
      page.label = size.name;
      await page.goto(`${server.url}/j/${session.code}`);
      phones.push(page);
    }
    for (const page of projectors) await page.locator('main').getByText('2 people have joined').waitFor();
    await checkProjectors('waiting screen');
    await checkPhones('joined');
    await screen(projectors[1], 'projector-join-1280x720');
  });

  step('Before: statements without results on the projector while phones answer; a timer', async () => {
    assert.equal((await host.send({ type: 'goto', activity: agendaIds.scale, round: 'Before' })).type, 'ack');
    for (const page of projectors) await page.locator('tr.srow').first().waitFor();
    // The projector switch: a scale's results stay off the projector while its answers are
    // open, before the facilitator says anything (the default), and after "hide" too.
    const hiddenByDefault = await projectors[1]
      .getByText('Results will appear here when the facilitator shows them.')
      .first()
      .waitFor({ timeout: 5_000 })
      .then(() => true, () => false);
    const switchable = (await host.send({ type: 'show_on_projector', show: false })).type === 'ack';
    roomServer = switchable;
    if (switchable) assert.ok(hiddenByDefault, 'a scale open for answers starts hidden on the projector');
    if (switchable) {
      for (const page of projectors) await page.getByText('Results will appear here when the facilitator shows them.').first().waitFor();
    }
    // The two phones tap their answers.
    for (const [n, page] of phones.entries()) {
      await page.getByRole('radio').first().waitFor();
      for (let s = 0; s < STATEMENTS.length; s++) {
        await page.getByRole('radio', { name: POINTS[(n + s) % 3] }).nth(s).tap();
      }
      await noViolations(page, 'phone, Before');
      assert.equal(await scrollsSideways(page), false, `${page.label} scrolls sideways`);
    }
    // Eighteen more over WebSockets: 20 answers to each statement.
    const crowd = [];
    for (let p = 0; p < 18; p++) {
      crowd.push(STATEMENTS.map((_, s) => ({ type: 'answer', activity: agendaIds.scale, round: 'Before', statement: s, value: 1 + ((p * 7 + s * 3) % 4) })));
    }
    const { acked, refused } = await bulkParticipants(server.url, session.code, crowd);
    assert.deepEqual(refused, []);
    assert.equal(acked, 72);
    const timed = (await host.send({ type: 'timer', seconds: 300, stop_answers: false })).type === 'ack';
    if (timed) for (const page of projectors) await page.locator('.countdown').waitFor();
    await checkProjectors('scale Before, results hidden', { rows: true, timer: timed });
    await screen(projectors[1], 'projector-scale-hidden-1280x720');
    await screen(phones[1], 'phone-scale-390');
    if (switchable) assert.equal((await host.send({ type: 'show_on_projector', show: true })).type, 'ack');
    for (const page of projectors) await page.locator('.mean').first().waitFor();
    await checkProjectors('scale Before, results shown', { rows: true, timer: timed });
    if (timed) await screen(projectors[1], 'projector-timer-1280x720');
    for (const page of projectors) await screen(page, `projector-scale-before-${page.label}`);
  });

  step('After: the change on every projector, all four rows inside the window', async () => {
    assert.equal((await host.send({ type: 'goto', activity: agendaIds.scale, round: 'After' })).type, 'ack');
    const crowd = [];
    for (let p = 0; p < 20; p++) {
      crowd.push(STATEMENTS.map((_, s) => ({ type: 'answer', activity: agendaIds.scale, round: 'After', statement: s, value: 2 + ((p * 5 + s) % 4) })));
    }
    const { refused } = await bulkParticipants(server.url, session.code, crowd);
    assert.deepEqual(refused, []);
    await host.send({ type: 'set_open', open: false });
    await host.send({ type: 'show_on_projector', show: true });
    for (const page of projectors) await page.locator('td.change').first().waitFor();
    await checkProjectors('scale After', { rows: true });
    await checkPhones('scale After');
    for (const page of projectors) await screen(page, `projector-scale-after-${page.label}`);
  });

  step('the word cloud: about 150 words from 50 people', async () => {
    assert.equal((await host.send({ type: 'goto', activity: agendaIds.cloud })).type, 'ack');
    const words = [];
    for (let i = 0; i < 150; i++) words.push(WORDS[Math.floor(Math.pow(i / 150, 1.8) * WORDS.length)]);
    const people = [];
    for (let i = 0; i < 50; i++) people.push([words[i], words[i + 50], words[i + 100]]);
    const { refused } = await bulkParticipants(
      server.url,
      session.code,
      people.map((three) => [...new Set(three)].map((text) => ({ type: 'answer', activity: agendaIds.cloud, text }))),
    );
    assert.ok(refused.length < 10, refused.join('; '));
    for (const page of projectors) {
      await page.locator('main').getByText(/\d+ words from 50 people/).waitFor();
      await page.waitForTimeout(1500);
    }
    // Every group the server has is drawn, on every projector and on the console alike
    // (smaller, never left out), and a hidden word leaves the count "N words from M people".
    const groups = () => host.results(agendaIds.cloud).entries.filter((entry) => !entry.hidden);
    for (const page of [...projectors, console_]) {
      await page.waitForFunction((want) => document.querySelectorAll('svg.cloud text').length === want, groups().length, { timeout: 20_000 });
    }
    const top = groups()[0];
    const total = groups().reduce((sum, entry) => sum + entry.count, 0);
    const drawn = groups().length;
    await projectors[1].locator('main').getByText(`${total} words from 50 people`).waitFor();
    assert.equal((await host.send({ type: 'hide', activity: agendaIds.cloud, item: top.id, hidden: true })).type, 'ack');
    for (const page of projectors) {
      // (A server before issue 12 counted hidden entries in its total.)
      if (roomServer) await page.locator('main').getByText(`${total - top.count} words from`).waitFor();
      await page.waitForFunction((want) => document.querySelectorAll('svg.cloud text').length === want, drawn - 1, { timeout: 20_000 });
    }
    await host.send({ type: 'hide', activity: agendaIds.cloud, item: top.id, hidden: false });
    for (const page of projectors) await page.locator('main').getByText(`${total} words from`).waitFor();
    await new Promise((done) => setTimeout(done, 1500));
    await checkProjectors('word cloud');
    await checkPhones('word cloud');
    for (const page of projectors) await screen(page, `projector-cloud-${page.label}`);
  });

  step('a jam board of 60 notes in three frames, arranged, then dot voting', async () => {
    assert.equal((await host.send({ type: 'goto', activity: agendaIds.board })).type, 'ack');
    const people = [];
    for (let i = 0; i < 20; i++) {
      people.push([
        { type: 'note_add', activity: agendaIds.board, frame: 0, text: BARRIERS[i], color: 'yellow' },
        { type: 'note_add', activity: agendaIds.board, frame: 1, text: SUCCESSES[i], color: 'green' },
        { type: 'note_add', activity: agendaIds.board, frame: 2, text: PLEDGES[i], color: 'blue' },
      ]);
    }
    const { refused } = await bulkParticipants(server.url, session.code, people);
    assert.deepEqual(refused, []);
    for (const page of projectors) await page.locator('[data-note]').first().waitFor();
    await new Promise((done) => setTimeout(done, 800));
    await checkProjectors('jam board, 60 notes', { notes: 60 });
    for (const page of projectors) await screen(page, `projector-board-${page.label}`);

    // The facilitator piles six notes on one spot and spreads a few: on the projector none overlap.
    const board = host.results(agendaIds.board);
    const barriers = board.frames[0].notes;
    for (let i = 0; i < 6; i++) {
      await host.send({ type: 'move', activity: agendaIds.board, note: barriers[i].id, frame: 0, x: 0.5, y: 0.5 });
    }
    await host.send({ type: 'move', activity: agendaIds.board, note: barriers[6].id, frame: 0, x: 0, y: 0 });
    await host.send({ type: 'move', activity: agendaIds.board, note: barriers[7].id, frame: 0, x: 1, y: 1 });
    await new Promise((done) => setTimeout(done, 800));
    await checkProjectors('jam board, arranged', { notes: 60 });
    await screen(projectors[1], 'projector-board-arranged-1280x720');

    // Dot voting: 20 people, 3 dots each, most on a few notes.
    assert.equal((await host.send({ type: 'voting', activity: agendaIds.board, open: true })).type, 'ack');
    const all = host.results(agendaIds.board).frames.flatMap((frame) => frame.notes);
    const voters = [];
    for (let p = 0; p < 20; p++) {
      voters.push([0, 1, 2].map((d) => ({ type: 'dot', activity: agendaIds.board, note: all[(p % 4) * 7 + d * ((p % 3) + 1)].id, add: true })));
    }
    const votes = await bulkParticipants(server.url, session.code, voters);
    assert.deepEqual(votes.refused, []);
    await new Promise((done) => setTimeout(done, 800));
    for (const page of projectors) {
      // Ranked by dots: in each frame, the dots shown never go up from one note to the next.
      const ranked = await page.locator('.pframe').evaluateAll((frames) =>
        frames.map((frame) => [...frame.querySelectorAll('[data-note]')].map((note) => Number(note.dataset.votes))),
      );
      for (const frame of ranked) assert.deepEqual(frame, [...frame].sort((a, b) => b - a), `notes ranked by dots on ${page.label}`);
    }
    await checkProjectors('jam board, dot voting', { notes: 60 });
    await checkPhones('dot voting');
    for (const page of projectors) await screen(page, `projector-board-voting-${page.label}`);
  });

  step('the second board: 60 notes in two frames, with a timer', async () => {
    assert.equal((await host.send({ type: 'goto', activity: agendaIds.board2 })).type, 'ack');
    const people = [];
    for (let i = 0; i < 20; i++) {
      people.push([
        { type: 'note_add', activity: agendaIds.board2, frame: 0, text: BARRIERS[(i + 5) % 20], color: 'pink' },
        { type: 'note_add', activity: agendaIds.board2, frame: 1, text: SUCCESSES[(i + 3) % 20], color: 'orange' },
        { type: 'note_add', activity: agendaIds.board2, frame: i % 2, text: PLEDGES[i], color: 'purple' },
      ]);
    }
    const { refused } = await bulkParticipants(server.url, session.code, people);
    assert.deepEqual(refused, []);
    const timed = (await host.send({ type: 'timer', seconds: 120, stop_answers: true })).type === 'ack';
    await new Promise((done) => setTimeout(done, 800));
    await checkProjectors('second jam board', { notes: 60, timer: timed });
    for (const page of projectors) await screen(page, `projector-board2-${page.label}`);
    await checkPhones('second jam board, timer');
  });

  step('ten statements in two rounds: compact rows, pages only where they do not fit', async () => {
    const ten = [
      ...STATEMENTS,
      'I know who to ask when I want parents and carers to help shape a service',
      'I feel able to share power over decisions with the families I work with',
      'I understand why some families find it hard to take part',
      'I can explain co-production to a colleague in plain words',
      'I know how to give feedback on what changed because people took part',
      'I feel supported by my organisation to work this way',
    ];
    const other = await api(server.url, 'POST', '/api/sessions', {
      title: 'Ten statements',
      agenda: [{ kind: 'scale', title: 'Ten statements', statements: ten, min: 1, max: 5, labels: { min: 'Not at all', max: 'Completely', points: [] }, rounds: ['Before', 'After'] }],
    });
    const main = host;
    host = await hostSocket(server.url, other.code, other.host_key);
    try {
      const id = other.agenda[0].id;
      await host.send({ type: 'goto', activity: id, round: 'Before' });
      const crowd = [];
      for (let p = 0; p < 12; p++) crowd.push(ten.map((_, s) => ({ type: 'answer', activity: id, round: 'Before', statement: s, value: 1 + ((p + s) % 5) })));
      await bulkParticipants(server.url, other.code, crowd);
      await host.send({ type: 'goto', activity: id, round: 'After' });
      await bulkParticipants(server.url, other.code, crowd.map((answers) => answers.map((answer) => ({ ...answer, round: 'After', value: Math.min(5, answer.value + 1) }))));
      await host.send({ type: 'set_open', open: false });
      await host.send({ type: 'show_on_projector', show: true });
      for (const page of projectors) {
        await page.goto(other.present_url.replace(/^https?:\/\/[^/]+/, server.url));
        await page.locator('td.change').first().waitFor();
        await page.locator('thead').getByText('· 12').first().waitFor();
      }
      await checkProjectors('ten statements', { rows: ten.length });
      for (const page of projectors) {
        const pages = await pageCount(page);
        if (pages > 1) await page.locator('thead').getByText(/^Statements 1\u2013\d+ of 10/).first().waitFor();
        // Compact rows before pages: never fewer than four statements on a page.
        assert.ok(pages <= 3, `ten statements take ${pages} pages on ${page.label}`);
        await screen(page, `projector-ten-${page.label}`);
      }
    } finally {
      host.close();
      host = main;
      for (const page of projectors) {
        await page.goto(session.present_url.replace(/^https?:\/\/[^/]+/, server.url));
        await page.locator('header.bar').waitFor();
      }
    }
  });

  step('closing: the summary on every projector', async () => {
    assert.equal((await host.send({ type: 'close_session' })).type, 'ack');
    for (const page of projectors) await page.locator('.summary, .ended').first().waitFor();
    const summary = (await projectors[0].locator('.summary').count()) > 0;
    if (summary) {
      // Each part in turn (the facilitator's "Next"): the before/after table, the top words,
      // each board's notes.
      for (const page of projectors) {
        await page.locator('.part-line').getByRole('button', { name: 'Pause' }).click();
        for (let part = 0; part < 4; part++) {
          await page.waitForTimeout(700);
          await fitsAndApart(page, `summary part ${part + 1}`, 'tr.srow:not([hidden]), [data-note], .top-words li, .keywords', ['.summary-head', '.part-title']);
          if (page.label === '1280x720') {
            const small = await smallestText(page);
            assert.ok(small.size >= 24, `text smaller than 24 px at 1280×720 in the summary: ${small.size} px ("${small.text}")`);
          }
          await noViolations(page, `closing summary, part ${part + 1}`);
          await screen(page, `projector-summary-${part + 1}-${page.label}`);
          await page.locator('.part-line').getByRole('button', { name: 'Next part' }).click();
        }
      }
    } else {
      await checkProjectors('closed');
    }
    await checkPhones('closed');
    await noViolations(console_, 'console, closed');
    assert.deepEqual(pageProblems([...projectors, ...phones, console_]), []);
  });
});
