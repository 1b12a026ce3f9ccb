// The workshop day in the room, on the phones and the console (issue 12): no answer vanishes
// when the facilitator moves on (the race, reproduced with real timing: a phone taps a rating
// and the console goes to the next activity before the answer has left the phone), a refused
// answer says so with its reason, the phone finishes the scale it is on, the countdown, dots
// left, the projector switch as the console shows it, "answered / opened the link / took
// part", no "Remove" for an answered activity, theme menus that stay inside their note cards
// with 60 notes, and the ways back to a console (My sessions, the link as a file). Every screen
// is checked with axe-core; phones at 320 and 390 px must not scroll sideways.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';

import {
  OUT,
  announcements,
  heard,
  api,
  axe,
  bulkParticipants,
  hostSocket,
  launchBrowser,
  openPage,
  pageProblems,
  recordAnnouncements,
  scrollsSideways,
  shot,
  startServer,
  widest,
} from './harness.mjs';

const TITLE = 'Co-production training, session 1';
const SCALE = 'How do you feel about co-production?';
const STATEMENTS = [
  'I understand the term co-production',
  'I know how to use co-production within my daily life',
  'I have the tools and support to help me with co-production',
  'My colleagues understand how to use co-production',
];
const CLOUD = 'What word would you use instead of co-production?';
const BOARD = 'What gets in the way?';
const SPARE = 'What has worked for you?';
const NARROW = { width: 320, height: 640 };
const PHONE = { width: 390, height: 844 };
const CONSOLE_WIDE = { width: 1280, height: 720 };
const CONSOLE_NARROW = { width: 1024, height: 768 };
const DOWNLOADS = `${OUT}downloads/`;

let server;
let browser;
let created;
let host;
let console_;
let phones = [];
let broken = null;
const pages = [];

/** A step of the walk: skipped once an earlier one failed (it would fail for that reason). */
function step(name, fn, { timeout = 90_000 } = {}) {
  it(name, { timeout }, async (t) => {
    if (broken) {
      t.skip(`an earlier step failed (${broken})`);
      return;
    }
    try {
      await fn(t);
    } catch (error) {
      broken = name;
      let n = 0;
      for (const page of pages) await page.screenshot({ path: `${OUT}room-failed-${++n}.png`, fullPage: true }).catch(() => {});
      throw error;
    }
  });
}

async function open(name, options) {
  const page = await openPage(browser, name, options);
  pages.push(page);
  return page;
}

/** A screenshot of what the screen shows (not the whole page), for the facilitator's guide. */
async function docShot(page, name, scrollTo = null) {
  if (scrollTo) await scrollTo.evaluate((node) => node.scrollIntoView({ block: 'start' }));
  else await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(100);
  await page.screenshot({ path: `${OUT}doc-${name}.png` });
}

async function noViolations(page, state) {
  assert.deepEqual(await axe(page, state), [], `axe-core found WCAG problems in ${state}`);
}

async function fits(page, name) {
  if (await scrollsSideways(page)) {
    await shot(page, `room-failed-${name}`);
    assert.fail(`${name} scrolls sideways: ${(await widest(page)).join('; ')}`);
  }
}

const activity = (kind, n = 0) => created.agenda.filter((a) => a.kind === kind)[n];
const scaleId = () => activity('scale').id;
/** The n-th statement's radio for a value from 2 to 4 (the ends carry their words), statements in order. */
const radio = (page, value, statement) => page.getByRole('radio', { name: String(value), exact: true }).nth(statement);
/** The save line of a statement on the phone. */
const saveLine = (page, statement) => page.locator('fieldset.statement').nth(statement).locator('.save');

async function exportRows() {
  const data = await api(server.url, 'GET', `/api/sessions/${created.code}/export/json`, undefined, created.host_key);
  return data.responses;
}

const WORDS = (() => {
  const base = ['together', 'partnership', 'collaboration', 'sharing', 'listening', 'trust', 'equal', 'respect', 'voice',
    'teamwork', 'inclusion', 'dialogue', 'openness', 'fairness', 'belonging', 'empowerment', 'community', 'joint',
    'shared power', 'working with', 'co-design', 'involvement', 'participation', 'respectful', 'honest', 'mutual',
    'kindness', 'curiosity', 'learning', 'support'];
  // 150 entries: 50 people, 3 each, so that some words are frequent and most are not.
  return Array.from({ length: 150 }, (_, i) => base[(i * 7 + Math.floor(i / 11)) % base.length]);
})();

const NOTE_TEXTS = [
  'Not enough time in the working week',
  'Budgets are set before we ask anyone',
  'Jargon puts people off',
  'Meetings at times parents cannot come',
  'We do not pay people for their time',
  'Fear of losing control',
  'Consultation fatigue',
  'Nobody told us what happened after last time',
  'Transport to the venue',
  'Managers do not see the value',
];

before(async () => {
  mkdirSync(DOWNLOADS, { recursive: true });
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  host?.close();
  await browser?.close();
  await server?.stop();
});

describe('the workshop day on phones and console', () => {
  step('a session made on the front page can be kept: the link as a file, and My sessions', async () => {
    const landing = await open('front page', { viewport: CONSOLE_WIDE });
    await landing.goto(`${server.url}/`);
    assert.equal(await landing.getByRole('heading', { name: 'My sessions' }).count(), 0, 'a new browser has no sessions');
    await landing.getByLabel('Session title').fill('Recovery check');
    await landing.getByLabel('Title', { exact: true }).fill('Warm-up');
    await landing.getByLabel('Statement 1', { exact: true }).fill('I slept well');
    await landing.getByRole('button', { name: 'Create the session' }).click();
    await landing.getByRole('heading', { name: 'Your session is ready' }).waitFor();
    const hostUrl = await landing.getByRole('link', { name: /\/host\// }).getAttribute('href');
    const presentUrl = await landing.getByRole('link', { name: /\/present\// }).getAttribute('href');
    const recoveryCode = /\/host\/(\d{8})#/.exec(hostUrl)[1];

    const [download] = await Promise.all([
      landing.waitForEvent('download'),
      landing.getByRole('link', { name: 'Download the link to the console, as a file' }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `chorus-console-recovery-check-${recoveryCode}.html`);
    const file = `${DOWNLOADS}${download.suggestedFilename()}`;
    await download.saveAs(file);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes(`href="${hostUrl}"`), 'the file holds the console link');
    await noViolations(landing, 'session created, with the link to keep');

    // The tab is closed; a new one on the front page finds the session and opens its console.
    await landing.close();
    const again = await landing.context().newPage();
    again.problems = [];
    again.dialogs = [];
    again.on('pageerror', (error) => again.problems.push(`front page again: script error: ${error.message}`));
    again.on('dialog', (dialog) => again.dialogs.push(dialog.message()));
    pages.push(again);
    await again.goto(`${server.url}/`);
    await again.getByRole('heading', { name: 'My sessions' }).waitFor();
    await noViolations(again, 'front page with My sessions');
    await shot(again, 'room-my-sessions');
    await docShot(again, 'my-sessions');
    await again.getByRole('link', { name: 'Recovery check', exact: true }).click();
    await again.getByRole('heading', { name: 'Recovery check', level: 1 }).waitFor();
    await again.getByText(/^Answers: /).first().waitFor();

    // Another browser knows nothing of it; the console without its key says so, and does
    // not pretend to be connecting.
    const stranger = await open('another browser', { viewport: CONSOLE_WIDE });
    await stranger.goto(`${server.url}/host/${recoveryCode}`);
    await stranger.getByRole('heading', { name: 'This console link has no key' }).waitFor();
    await stranger.waitForTimeout(500);
    assert.equal(await stranger.getByText('Connecting…').count(), 0, 'no endless "Connecting…" beside the message');
    await noViolations(stranger, 'console without its key');
    // The projector's key never opens the console.
    await stranger.goto(`${server.url}/host/${recoveryCode}#key=${new URL(presentUrl).hash.slice(5)}`);
    await stranger.getByRole('heading', { name: 'This console link does not work' }).waitFor();
    assert.equal(await stranger.getByText(/^Answers: /).count(), 0);

    // Removing it from the list leaves the session alone.
    await again.goto(`${server.url}/`);
    await again.getByRole('button', { name: 'Remove “Recovery check” from this list' }).click();
    await again.getByText('“Recovery check” was taken off this list.').waitFor();
    assert.equal(await again.getByRole('link', { name: /Recovery check/ }).count(), 0);
  });

  step('a wrong code is explained once', async () => {
    const phone = await open('phone, wrong code', { viewport: NARROW, isMobile: true, hasTouch: true });
    await phone.goto(`${server.url}/`);
    await phone.getByLabel('Session code').fill('9999 0000');
    await phone.getByRole('button', { name: 'Join' }).tap();
    await phone.getByRole('heading', { name: 'We could not find this session' }).waitFor();
    assert.equal(await phone.locator('main').getByText(/no session with/i).count(), 1, 'said once');
    await noViolations(phone, 'phone, wrong code');
    await phone.close();
  });

  step('the seed agenda runs; two phones answer the Before round', async () => {
    created = await api(server.url, 'POST', '/api/sessions', {
      title: TITLE,
      agenda: [
        { kind: 'scale', title: SCALE, statements: STATEMENTS, min: 1, max: 5,
          labels: { min: 'Not at all', max: 'Completely', points: [] }, rounds: ['Before', 'After'] },
        { kind: 'wordcloud', prompt: CLOUD, max_entries: 3, profanity_filter: true, stop_words: [] },
        { kind: 'jamboard', title: BOARD, frames: ['Barriers', 'Successes', 'Pledges'], dots: 3, notes_per_participant: 20 },
        { kind: 'jamboard', title: SPARE, frames: ['Successes'], dots: 0, notes_per_participant: 20 },
      ],
    });
    host = await hostSocket(server.url, created.code, created.host_key);
    console_ = await open('console', { viewport: CONSOLE_WIDE });
    await console_.goto(created.host_url.replace(/^https?:\/\/[^/]+/, server.url));
    await console_.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
    for (const [name, viewport] of [['phone 390', PHONE], ['phone 320', NARROW]]) {
      const phone = await open(name, { viewport, isMobile: true, hasTouch: true });
      await phone.goto(`${server.url}/j/${created.code}`);
      await phone.getByRole('heading', { name: 'Waiting for the facilitator…' }).waitFor();
      await recordAnnouncements(phone);
      phones.push(phone);
    }
    await console_.getByRole('button', { name: `Go to Before of ${SCALE}` }).click();
    for (const phone of phones) await phone.getByRole('heading', { name: SCALE }).waitFor();
    // The projector's results are hidden while a scale's answers are open, until shown.
    await console_.getByText('Results on the projector: hidden until you show them').waitFor();
    await console_.getByText('Results on phones: hidden').waitFor();

    await radio(phones[0], 3, 0).tap();
    await radio(phones[0], 2, 1).tap();
    await radio(phones[0], 4, 2).tap();
    await saveLine(phones[0], 2).getByText('Saved').waitFor();
    await radio(phones[1], 4, 0).tap();
    await radio(phones[1], 4, 1).tap();
    await saveLine(phones[1], 1).getByText('Saved').waitFor();
    await console_.getByText(/answered this activity/).waitFor();
    await console_.locator('.answered').getByText('2 of 2').waitFor();
    await console_.getByText(/^2 opened the link$/).waitFor();
    await console_.getByText(/^2 took part$/).waitFor();
  });

  step('the race: a rating tapped just before "Go to" is saved, and the phone says so', async (t) => {
    // Phone 1 taps the last statement; the console moves on at once, before the phone has
    // even sent the answer (it waits 250 ms for quick changes) — the order the room saw.
    const tapped = Date.now();
    await radio(phones[0], 4, 3).tap();
    const moved = host.send({ type: 'goto', activity: activity('wordcloud').id, round: null });
    const gap = Date.now() - tapped;
    const pending = await saveLine(phones[0], 3).innerText();
    assert.match(pending, /Saving…/, `the race was not reproduced: the answer had already settled (${gap} ms)`);
    assert.equal((await moved).type, 'ack');
    t.diagnostic(`"Go to" sent ${gap} ms after the tap, while the phone still said "Saving…"`);

    // Phone 1 stays on the scale until the answer is settled, and sees it saved.
    await phones[0].locator('.moved-on').getByText('The room has moved on to').waitFor();
    await saveLine(phones[0], 3).getByText('Saved').waitFor();
    assert.ok(await radio(phones[0], 4, 3).isChecked(), 'the choice is still shown');
    const rows = await exportRows();
    const kept = rows.find((row) => row.activity === scaleId() && row.round === 'Before' && row.statement === 3 && row.value === 4);
    assert.ok(kept, `the answer tapped ${gap} ms before "Go to" is in the export`);

    // The console's agenda says the scale's answers are still open.
    await console_.locator('.steps').getByText('Answers still open').waitFor();

    // Phone 2 was part-way through (two of four): it may finish while the room has moved on.
    await phones[1].locator('.moved-on').getByText('The room has moved on to').waitFor();
    await phones[1].getByText(CLOUD).first().waitFor();
    await noViolations(phones[1], 'phone 320, finishing a scale after the room moved on');
    await fits(phones[1], 'phone 320, moved on');
    await shot(phones[1], 'room-phone-320-moved-on');
    await docShot(phones[1], 'phone-320-moved-on');
    await radio(phones[1], 2, 2).tap();
    await radio(phones[1], 3, 3).tap();
    await saveLine(phones[1], 3).getByText('Saved').waitFor();
    await phones[1].getByRole('button', { name: 'Go there' }).tap();
    await phones[1].getByRole('heading', { name: CLOUD }).waitFor();
    assert.equal(await phones[1].evaluate(() => document.activeElement?.textContent?.trim()), CLOUD, 'the new question has the focus');
    const said = (await announcements(phones[1])).map((a) => a.text);
    assert.ok(said.some((text) => text.startsWith('The room has moved on to')), `heard: ${said.join(' | ')}`);
    await phones[0].getByRole('button', { name: 'Go there' }).tap();
    await phones[0].getByRole('heading', { name: CLOUD }).waitFor();

    // Back to the scale: the phone's choices are there, saved.
    await host.send({ type: 'goto', activity: scaleId(), round: 'Before' });
    await phones[0].getByRole('heading', { name: SCALE }).waitFor();
    await saveLine(phones[0], 3).getByText('Saved').waitFor();
    assert.ok(await radio(phones[0], 4, 3).isChecked(), 'the answer is the phone\'s own record');
    const late = (await exportRows()).filter((row) => row.activity === scaleId() && row.round === 'Before');
    assert.equal(late.length, 3 + 1 + 2 + 2, 'every Before rating of both phones is kept');
  });

  step('an answer the server refuses shows "Not saved" with the reason, and keeps the choice', async () => {
    await radio(phones[0], 2, 0).tap();
    const stopped = host.send({ type: 'set_open', open: false });
    assert.match(await saveLine(phones[0], 0).innerText(), /Saving…/, 'the answer was still on its way');
    assert.equal((await stopped).type, 'ack');
    const line = saveLine(phones[0], 0).getByText(/^Not saved: /);
    await line.waitFor();
    assert.match(await line.innerText(), /Not saved: \S/, 'with the server\'s reason');
    assert.match(await line.innerText(), /Your saved answer is still 3/);
    assert.ok(await radio(phones[0], 2, 0).isChecked(), 'never an empty choice');
    const first = (await exportRows()).filter((row) => row.activity === scaleId() && row.statement === 0);
    assert.ok(first.every((row) => row.value !== 2), 'the refused answer was not stored');
    await noViolations(phones[0], 'phone 390, an answer not saved');
    await fits(phones[0], 'phone 390, not saved');
    await shot(phones[0], 'room-phone-390-not-saved');
    await docShot(phones[0], 'phone-390-not-saved', phones[0].locator('fieldset.statement').first());
    await host.send({ type: 'set_open', open: true });
  });

  step('the projector switch and its pages, as the console shows them', async () => {
    await console_.getByRole('button', { name: 'Show on the projector' }).click();
    await console_.getByText('Results on the projector: showing (live)').waitFor();
    await console_.getByText('Pages turn by themselves', { exact: false }).first().waitFor();
    await console_.getByRole('button', { name: 'Hold on page 1' }).click();
    await console_.getByText('held on page 1').waitFor();
    await console_.getByRole('button', { name: 'Next page' }).click();
    await console_.getByText('held on page 2').waitFor();
    await console_.getByRole('button', { name: 'Pages turn by themselves' }).click();
    await console_.getByText('turn by themselves', { exact: false }).first().waitFor();
    await noViolations(console_, 'console, scale, projector showing');
  });

  step('a one-minute countdown on phones and console, heard at its start, 30 s and zero; answers stop', async () => {
    await console_.getByLabel('Minutes').fill('1');
    assert.ok(await console_.getByLabel('Stop answers at zero').isChecked());
    await console_.getByRole('button', { name: 'Start the timer' }).click();
    await console_.getByRole('timer').waitFor();
    for (const phone of phones) await phone.getByRole('timer').waitFor();
    for (const [page, name] of [[console_, 'console'], [phones[0], 'phone 390'], [phones[1], 'phone 320']]) {
      await noViolations(page, `${name}, timer running`);
    }
    await fits(phones[1], 'phone 320, timer');
    await shot(phones[1], 'room-phone-320-timer');
    await console_.setViewportSize(CONSOLE_NARROW);
    await shot(console_, 'room-console-1024-scale-timer');
    await console_.setViewportSize(CONSOLE_WIDE);
    await shot(console_, 'room-console-1280-scale-timer');
    await docShot(console_, 'console-1280-scale-timer');
    // Zero: answers stop on the server, and every screen says so.
    await phones[1].getByText('Time is up', { exact: true }).waitFor({ timeout: 75_000 });
    await console_.getByText('Answers: stopped').waitFor();
    await phones[1].locator('main').getByText('Answers are closed for now.').waitFor();
    await heard(phones[1], /^Time is up/);
    const said = (await announcements(phones[1])).map((a) => a.text);
    const timer = said.filter((text) => /^Timer started|left\.$|^Time is up/.test(text));
    assert.deepEqual(timer, ['Timer started: 1 minute. Answers close at zero.', '30 seconds left.', 'Time is up. Answers are closed.']);
    await host.send({ type: 'set_open', open: true });
  }, { timeout: 150_000 });

  step('the word cloud with 150 words, on the phones and the console', async () => {
    await host.send({ type: 'goto', activity: activity('wordcloud').id, round: null });
    const people = [];
    for (let i = 0; i < WORDS.length; i += 3) {
      people.push(WORDS.slice(i, i + 3).map((text) => ({ type: 'answer', activity: activity('wordcloud').id, text })));
    }
    const { refused } = await bulkParticipants(server.url, created.code, people);
    assert.ok(refused.length < 10, `few refusals: ${refused.slice(0, 3).join('; ')}`);
    await phones[0].getByRole('heading', { name: CLOUD }).waitFor();
    await console_.getByText(/answered this activity/).waitFor();
    await noViolations(console_, 'console, word cloud');
    await shot(console_, 'room-console-1280-cloud');
  });

  step('a board of 60 notes: dots left on phones, theme menus inside their cards on the console', async () => {
    const board = activity('jamboard');
    await host.send({ type: 'goto', activity: board.id, round: null });
    // The phone names the frames by their own names.
    await phones[1].getByRole('heading', { name: BOARD }).waitFor();
    await phones[1].getByRole('radio', { name: 'Successes' }).check();
    await phones[1].getByLabel('Your note for “Successes”').fill('A parent co-chaired the steering group');
    await phones[1].getByRole('button', { name: 'Post the note' }).tap();
    await phones[1].locator('.mine').getByText('Saved').waitFor();
    assert.equal(await phones[1].locator('main').getByText(/\bFrame\b/).count(), 0, 'no "Frame" on the phone');
    await noViolations(phones[1], 'phone 320, posting a note');

    const people = [];
    for (let p = 0; p < 20; p++) {
      people.push([0, 1, 2].map((frame) => ({
        type: 'note_add', activity: board.id, frame, color: ['yellow', 'pink', 'blue', 'green'][p % 4],
        text: `${NOTE_TEXTS[(p + frame) % NOTE_TEXTS.length]}${p % 3 === 0 ? ', and the same again next year' : ''}`,
      })));
    }
    await bulkParticipants(server.url, created.code, people);
    for (const name of ['Time', 'Money and the people who hold the budget', 'Trust']) {
      assert.equal((await host.send({ type: 'theme', activity: board.id, theme: null, name })).type, 'ack');
    }
    await console_.getByText('Themes: Time').waitFor();
    assert.equal((await host.send({ type: 'voting', activity: board.id, open: true })).type, 'ack');

    await phones[0].locator('.dots-left').getByText('3 dots left').waitFor();
    await phones[0].getByRole('button', { name: /^Add a dot/ }).first().tap();
    await phones[0].locator('.dots-left').getByText('2 dots left').waitFor();
    await phones[0].locator('.voting-line').getByText('2 dots left').waitFor();
    await noViolations(phones[0], 'phone 390, dot voting');
    await fits(phones[0], 'phone 390, dot voting');
    await shot(phones[0], 'room-phone-390-dots');
    await docShot(phones[0], 'phone-390-dots', phones[0].locator('#results-title'));

    for (const [viewport, name] of [[CONSOLE_WIDE, '1280'], [CONSOLE_NARROW, '1024']]) {
      await console_.setViewportSize(viewport);
      await console_.waitForTimeout(200);
      const cards = await console_.locator('.moderation .note').evaluateAll((nodes) =>
        nodes.map((node) => {
          const box = node.getBoundingClientRect();
          const select = node.querySelector('select')?.getBoundingClientRect();
          return { box: [box.left, box.top, box.right, box.bottom], select: select && [select.left, select.top, select.right, select.bottom] };
        }),
      );
      assert.equal(cards.length, 61, `every note on the console at ${name}`);
      for (const [i, card] of cards.entries()) {
        assert.ok(card.select, `note ${i} has its theme menu`);
        const [l, t, r, b] = card.box;
        const [sl, st, sr, sb] = card.select;
        assert.ok(sl >= l && sr <= r && st >= t && sb <= b, `note ${i}'s theme menu stays inside its card at ${name}`);
      }
      for (let i = 0; i < cards.length; i++) {
        for (let j = i + 1; j < cards.length; j++) {
          const [a, b] = [cards[i].box, cards[j].box];
          const overlap = a[0] < b[2] - 1 && b[0] < a[2] - 1 && a[1] < b[3] - 1 && b[1] < a[3] - 1;
          assert.ok(!overlap, `notes ${i} and ${j} overlap on the console at ${name}`);
        }
      }
      await noViolations(console_, `console at ${name}, board of 60 notes`);
      await docShot(console_, `console-${name}-board`, console_.locator('h3', { hasText: /^Notes$/ }));
    }
    // 200% zoom of a 1280 px screen: the console reflows, nothing scrolls sideways.
    await console_.setViewportSize({ width: 640, height: 720 });
    await console_.waitForTimeout(200);
    await fits(console_, 'console at 640 px (200% zoom), board of 60 notes');
    await console_.setViewportSize(CONSOLE_WIDE);
  });

  step('"Remove" is not offered for an activity that has answers, and the console says why', async () => {
    await console_.getByRole('button', { name: 'Edit the agenda' }).click();
    await console_.getByRole('heading', { name: 'Edit the agenda' }).waitFor();
    for (const n of [1, 2, 3]) {
      assert.equal(await console_.getByRole('button', { name: `Remove activity ${n}`, exact: true }).count(), 0, `activity ${n} has answers`);
    }
    assert.equal(await console_.getByText('People have answered this activity', { exact: false }).count(), 3);
    await console_.getByRole('button', { name: 'Remove activity 4', exact: true }).waitFor();
    await noViolations(console_, 'console, editing an agenda with answers');
    await console_.getByRole('button', { name: 'Cancel' }).click();
  });

  step('no page raised a script error, a CSP violation or a dialog', async () => {
    assert.deepEqual(pageProblems(pages), []);
  });
});
