// Participant groups, "About you" (issue 14), on the real server in real browsers: the
// facilitator adds the question on the console (K set to its minimum of 3); three phones (320
// and 390 px) are asked it as they join and pick a group, one changes group from its "Change"
// link; six more people join over real WebSockets (two prefer not to say); everyone answers a
// four-statement scale; the console shows the results per group and side by side, the group
// of one marked not for sharing, attendance per group and booked numbers; the facilitator lets
// the projector show every group side by side, and the projector draws it, the small group as
// "fewer than K", at 1024×768, 1280×720 and 1920×1080 without scrolling. axe finds nothing.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { api, hostSocket, launchBrowser, openPage, pageProblems, shot, startServer } from './harness.mjs';
import { CONSOLE, NARROW, PHONE, PROJECTORS, fits, noViolations, overflows, showOnProjector, walk } from './kinds.mjs';

const TITLE = 'Family forum, Kettering';
const SCALE = 'How do you feel about co-production?';
const STATEMENTS = [
  'I understand the term co-production',
  'I know how to use co-production in my work or family life',
  'I feel listened to by the services my family uses',
  'I know who to contact when something goes wrong',
];
const CHOICE = 'Which word should we use?';
const OPTIONS = ['Co-production', 'Working together', 'Partnership'];
const BOARD = 'What matters to your family?';
const FRAMES = ['What works', 'What gets in the way', 'What we want next', 'Questions'];
const PROMPT = 'I am a…';
const GROUPS = ['Parent carer', 'Young person', 'Professional', 'Other'];
const K = 3;

let server;
let browser;
let created;
let console_;
let projector;
const phones = [];
const pages = [];
const sockets = [];
const step = walk(it, pages, 'groups');

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  for (const socket of sockets) socket.close();
  await browser?.close();
  await server?.stop();
});

/** A participant over a real WebSocket: joins, says its group, answers; resolves on each ack. */
async function socketPhone(code) {
  const socket = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`);
  sockets.push(socket);
  let next = 1;
  const waiting = new Map();
  let welcome;
  /** The latest results this phone was sent, by activity. */
  const results = new Map();
  await new Promise((resolve, reject) => {
    socket.onerror = () => reject(new Error('participant socket failed'));
    socket.onopen = () => socket.send(JSON.stringify({ type: 'join', code, token: null }));
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data));
      if (message.type === 'results') results.set(message.activity, message.data);
      if (message.type === 'welcome') {
        welcome = message;
        resolve();
      }
      const done = message.id != null ? waiting.get(message.id) : undefined;
      if (done && (message.type === 'ack' || message.type === 'error')) {
        waiting.delete(message.id);
        done(message);
      }
    };
  });
  const send = (request) =>
    new Promise((done) => {
      const id = next++;
      waiting.set(id, done);
      socket.send(JSON.stringify({ ...request, id }));
    });
  /** Sends, and tries again after the wait a `rate_limited` refusal asks for (one participant is fast here). */
  const sendPatiently = async (request) => {
    for (;;) {
      const answer = await send(request);
      if (answer.type !== 'error' || answer.error !== 'rate_limited') return answer;
      await new Promise((done) => setTimeout(done, 1000));
    }
  };
  return { welcome, send, sendPatiently, results: (activity) => results.get(activity) ?? null };
}

/** Opens the join link on a phone: the About-you question comes first. */
async function joinAndAsked(name, viewport) {
  const phone = await openPage(browser, name, { viewport, isMobile: true, hasTouch: true });
  await phone.goto(`${server.url}/j/${created.code}`);
  await phone.getByRole('heading', { name: PROMPT }).waitFor();
  phones.push(phone);
  pages.push(phone);
  return phone;
}

async function choose(phone, label) {
  await phone.getByRole('radio', { name: label, exact: true }).check();
  await phone.getByRole('button', { name: 'Continue' }).tap();
}

/** The column of a side-by-side view on the console. */
const column = (page, label) => page.locator(`section.column[data-group="${label}"]`);

describe('participant groups', () => {
  step('the facilitator adds the About-you question on the console', async () => {
    created = await api(server.url, 'POST', '/api/sessions', {
      title: TITLE,
      agenda: [
        {
          id: '',
          kind: 'scale',
          title: SCALE,
          statements: STATEMENTS,
          min: 1,
          max: 5,
          labels: { min: 'Not at all', max: 'Completely', points: [] },
          rounds: ['Before', 'After'],
        },
        { id: '', kind: 'choice', title: CHOICE, options: OPTIONS, max_choices: 1, rounds: [] },
        { id: '', kind: 'jamboard', title: BOARD, frames: FRAMES, dots: 3, notes_per_participant: 20 },
      ],
    });
    console_ = await openPage(browser, 'console', { viewport: CONSOLE });
    pages.push(console_);
    await console_.goto(created.host_url.replace(/^https?:\/\/[^/]+/, server.url));
    await console_.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
    await console_.getByRole('button', { name: 'Edit the agenda' }).click();
    const card = console_.locator('#about-you-card');
    await card.getByRole('checkbox', { name: /Ask each phone one question/ }).check();
    await card.getByLabel('The question').fill(PROMPT);
    await card.getByLabel('Group 1', { exact: true }).fill(GROUPS[0]);
    await card.getByLabel('Group 2', { exact: true }).fill(GROUPS[1]);
    for (const [i, label] of GROUPS.slice(2).entries()) {
      await card.getByRole('button', { name: 'Add a group' }).click();
      await card.getByLabel(`Group ${i + 3}`, { exact: true }).fill(label);
    }
    // K below its minimum is refused, in plain words, before anything is sent.
    await card.getByLabel('Smallest group shown').fill('2');
    await console_.getByRole('button', { name: 'Save the agenda' }).click();
    await console_.getByText('About you: the smallest group shown must be a whole number from 3 to 50.').waitFor();
    await card.getByLabel('Smallest group shown').fill(String(K));
    await noViolations(console_, 'console, About-you card filled in');
    await shot(console_, 'groups-console-about-you-card');
    await console_.getByRole('button', { name: 'Save the agenda' }).click();
    await console_.getByText('Agenda saved').first().waitFor();
    const session = await api(server.url, 'GET', `/api/sessions/${created.code}`, undefined, created.host_key);
    assert.deepEqual(session.about_you, { prompt: PROMPT, groups: GROUPS, min_group_size: K });
  });

  step('phones are asked as they join, pick a group, and one changes group', async () => {
    projector = await openPage(browser, 'projector', { viewport: PROJECTORS[1] });
    pages.push(projector);
    await projector.goto(created.present_url.replace(/^https?:\/\/[^/]+/, server.url));

    const narrow = await joinAndAsked('phone 320', NARROW);
    await fits(narrow, 'groups-phone-320');
    await noViolations(narrow, 'phone 320, About-you question');
    await shot(narrow, 'groups-phone-320-question');
    // Text at 200% (the browser's text size, WCAG 1.4.4): still one column, nothing cut off.
    await narrow.evaluate(() => (document.documentElement.style.fontSize = '200%'));
    await fits(narrow, 'groups-phone-320-text-200');
    await shot(narrow, 'groups-phone-320-question-text-200');
    await narrow.evaluate(() => (document.documentElement.style.fontSize = ''));
    // Nothing chosen: said, nothing sent.
    await narrow.getByRole('button', { name: 'Continue' }).tap();
    await narrow.getByText('Choose one, or “Prefer not to say”.').waitFor();
    await choose(narrow, 'Young person');
    await narrow.getByRole('heading', { name: 'Waiting for the facilitator…' }).waitFor();
    await narrow.getByText('About you: Young person').waitFor();

    const wide = await joinAndAsked('phone 390', PHONE);
    await fits(wide, 'groups-phone-390');
    await noViolations(wide, 'phone 390, About-you question');
    await shot(wide, 'groups-phone-390-question');
    // By keyboard: the radios are one group, arrowed through; Continue is the next stop.
    await wide.getByRole('radio', { name: GROUPS[0], exact: true }).focus();
    await wide.keyboard.press('ArrowDown');
    await wide.keyboard.press('ArrowDown');
    assert.ok(await wide.getByRole('radio', { name: 'Professional', exact: true }).isChecked());
    await wide.getByRole('button', { name: 'Continue' }).focus();
    await wide.keyboard.press('Enter');
    await wide.getByText('About you: Professional').waitFor();

    const third = await joinAndAsked('phone 390 b', PHONE);
    await choose(third, 'Young person');
    await third.getByText('About you: Young person').waitFor();

    // The first phone changes its mind: Parent carer, from the Change link.
    await narrow.getByRole('button', { name: 'Change about you' }).tap();
    await narrow.getByRole('heading', { name: PROMPT }).waitFor();
    assert.ok(await narrow.getByRole('radio', { name: 'Young person', exact: true }).isChecked(), 'a change starts on the group it is in');
    await choose(narrow, 'Parent carer');
    await narrow.getByText('About you: Parent carer').waitFor();
    await fits(narrow, 'groups-phone-320-changed');
    await noViolations(narrow, 'phone 320, group changed');
    await shot(narrow, 'groups-phone-320-changed');
    // A reload keeps it: the question is not asked again.
    await narrow.reload();
    await narrow.getByText('About you: Parent carer').waitFor();
    assert.equal(await narrow.getByRole('heading', { name: PROMPT }).count(), 0);

    // Six more over WebSockets: two parent carers, two professionals, two who prefer not to say.
    for (const group of [0, 0, 2, 2, null, null]) {
      const person = await socketPhone(created.code);
      assert.deepEqual(person.welcome.about_you.groups, GROUPS);
      assert.equal(person.welcome.group_chosen, false);
      const answer = await person.send({ type: 'group', group });
      assert.equal(answer.type, 'ack', JSON.stringify(answer));
      phones.push(person);
    }
    // A group that does not exist is refused with its code.
    const stray = await socketPhone(created.code);
    const refused = await stray.send({ type: 'group', group: 9 });
    assert.equal(refused.type, 'error');
    assert.equal(refused.error, 'invalid_group');
  });

  step('everyone answers the scale; the console splits the results by group', async () => {
    await console_.getByRole('button', { name: `Go to Before of ${SCALE}` }).click();
    // The browser phones tap one value per statement: 2, 4 and 5.
    for (const [phone, value] of [[phones[0], '2'], [phones[1], '4'], [phones[2], '5 — Completely']]) {
      await phone.getByRole('heading', { name: SCALE }).waitFor();
      for (let s = 0; s < STATEMENTS.length; s += 1) {
        await phone.getByRole('radio', { name: value, exact: true }).nth(s).tap();
      }
      // Every statement saved before the room moves on (a tap still on its way would be refused).
      await phone.locator('.status.ok', { hasText: 'Saved' }).nth(STATEMENTS.length - 1).waitFor();
    }
    const activity = (await api(server.url, 'GET', `/api/sessions/${created.code}`, undefined, created.host_key)).agenda[0].id;
    const bySocket = async (round, shift) => {
      for (const [i, person] of phones.slice(3).entries()) {
        for (let s = 0; s < STATEMENTS.length; s += 1) {
          const value = Math.min(5, 1 + ((i + s) % 3) + shift);
          const answer = await person.send({ type: 'answer', activity, round, statement: s, value, text: null });
          assert.equal(answer.type, 'ack', JSON.stringify(answer));
        }
      }
    };
    await bySocket('Before', 0);
    // After: everyone again, higher.
    await console_.getByRole('button', { name: `Go to After of ${SCALE}` }).click();
    for (const [phone, value] of [[phones[0], '4'], [phones[1], '5 — Completely'], [phones[2], '5 — Completely']]) {
      await phone.getByText('Round:').getByText('After').first().waitFor();
      for (let s = 0; s < STATEMENTS.length; s += 1) {
        await phone.getByRole('radio', { name: value, exact: true }).nth(s).tap();
      }
      // Every statement saved before the room moves on (a tap still on its way would be refused).
      await phone.locator('.status.ok', { hasText: 'Saved' }).nth(STATEMENTS.length - 1).waitFor();
    }
    await bySocket('After', 2);
    // Everyone: 9 answers. One group: its own panel. Side by side: the total first.
    const chips = console_.getByRole('group', { name: 'Results for' });
    await chips.waitFor();
    await chips.getByRole('radio', { name: /^Parent carer/ }).check();
    await console_.getByRole('heading', { name: 'Parent carer', level: 3 }).waitFor();
    await chips.getByRole('radio', { name: 'Side by side' }).check();
    const columns = console_.locator('section.column');
    await columns.first().waitFor();
    assert.deepEqual(
      await columns.locator('h3').allTextContents(),
      ['Everyone', ...GROUPS],
    );
    // The group of one is marked for the facilitator, with its real figures.
    await column(console_, 'Young person').getByText(`Fewer than ${K} — not for sharing`).waitFor();
    await chips.getByRole('radio', { name: /^Young person.*not for sharing/ }).waitFor();
    assert.equal(await column(console_, 'Parent carer').getByText('not for sharing').count(), 0);
    // The console's figures are the real ones: the one young person answered 5 both times.
    await column(console_, 'Young person').getByText('5.0').first().waitFor();
    await fits(console_, 'groups-console-side-by-side');
    await noViolations(console_, 'console, results side by side');
    await shot(console_, 'groups-console-side-by-side');
  });

  step('attendance per group, and booked numbers typed in', async () => {
    const table = console_.getByRole('table', { name: 'Attendance' });
    const row = (label) => table.getByRole('row').filter({ has: console_.getByRole('rowheader', { name: new RegExp(`^${label}`) }) });
    // Parent carer: 3 (one changed to it), Young person: 1, Professional: 3, Other: none.
    await row('Parent carer').getByRole('cell').nth(2).filter({ hasText: '3' }).waitFor();
    assert.deepEqual(await row('Young person').getByRole('cell').allTextContents(), ['–', '1', '1']);
    assert.deepEqual(await row('Professional').getByRole('cell').allTextContents(), ['–', '3', '3']);
    await console_.getByRole('button', { name: 'Booked numbers…' }).click();
    await console_.getByLabel('Booked in total').fill('12');
    await console_.getByLabel('Booked, Parent carer').fill('9');
    await console_.getByLabel('Booked, Professional').fill('5');
    await console_.getByRole('button', { name: 'Save booked numbers' }).click();
    await console_.getByText('The groups add up to 14, more than the 12 booked in total.').waitFor();
    await console_.getByLabel('Booked, Parent carer').fill('6');
    await console_.getByRole('button', { name: 'Save booked numbers' }).click();
    await console_.getByText('Booked numbers saved').waitFor();
    assert.deepEqual(await row('Parent carer').getByRole('cell').allTextContents(), ['6', '3', '3']);
    const session = await api(server.url, 'GET', `/api/sessions/${created.code}`, undefined, created.host_key);
    assert.deepEqual(session.booked, { total: 12, groups: [6, null, 5, null] });
    await noViolations(console_, 'console, attendance and booked numbers');
  });

  step('the question is locked once answered', async () => {
    await console_.getByRole('button', { name: 'Edit the agenda' }).click();
    await console_.locator('#about-you-card').getByText('can no longer be changed').waitFor();
    assert.equal(await console_.getByLabel('The question').isDisabled(), true);
    await console_.getByRole('button', { name: 'Cancel' }).click();
  });

  step('the projector shows every group side by side, the small group suppressed', async () => {
    // Before the facilitator allows it: everyone only, no group named.
    await showOnProjector(console_);
    await projector.locator('table').first().waitFor();
    assert.equal(await projector.getByText('Young person').count(), 0);
    await console_.getByLabel('The projector may show').selectOption({ label: 'Every group side by side' });
    await console_.getByRole('button', { name: 'Apply to the projector' }).click();
    await console_.getByText('Groups on the projector: every group side by side').waitFor();
    const side = projector.locator('table.side');
    await side.waitFor();
    assert.deepEqual(
      (await side.locator('thead th.group .label').allTextContents()).map((text) => text.trim()),
      ['Everyone', ...GROUPS],
    );
    // The group of one: no figures, "fewer than K" in their place.
    await side.locator('td.fewer').first().waitFor();
    const fewer = await side.locator('td.fewer').allTextContents();
    assert.ok(fewer.length >= 1, 'at least the group of one is suppressed');
    assert.deepEqual(fewer.map((text) => text.trim()), ['Fewer than 3 people in this group']);
    // Its real mean (5.0 from the one young person) is nowhere on the projector.
    assert.equal(await side.getByText('5.0').count(), 0);
    for (const size of PROJECTORS) {
      await projector.setViewportSize(size);
      await projector.waitForTimeout(500);
      await shot(projector, `groups-projector-side-by-side-${size.width}x${size.height}`);
      assert.equal(await overflows(projector), false, `the projector at ${size.width}×${size.height} needs scrolling`);
      await fits(projector, `groups-projector-${size.width}`);
      await noViolations(projector, `projector side by side ${size.width}×${size.height}`);
    }
    // One group: its label as the heading, its own figures.
    await projector.setViewportSize(PROJECTORS[1]);
    await console_.getByLabel('The projector may show').selectOption({ label: 'Only Professional' });
    await console_.getByRole('button', { name: 'Apply to the projector' }).click();
    await projector.getByRole('heading', { name: /Professional/ }).waitFor();
    await shot(projector, 'groups-projector-one-group');
    await noViolations(projector, 'projector, one group');
  });

  step('another kind splits the same way: a choice side by side on the projector', async () => {
    await console_.getByRole('button', { name: `Go to ${CHOICE}` }).click();
    // Browser phones by tapping; the others over their sockets. Parent carers: Working
    // together, Co-production ×2; professionals: Working together ×3; the young person:
    // Partnership; the two who prefer not to say: Partnership.
    for (const [phone, option] of [[phones[0], OPTIONS[1]], [phones[1], OPTIONS[1]], [phones[2], OPTIONS[2]]]) {
      await phone.getByRole('heading', { name: CHOICE }).waitFor();
      await phone.getByRole('radio', { name: option, exact: true }).check();
      await phone.getByRole('button', { name: 'Send my choice' }).tap();
      await phone.locator('.save').getByText('Saved').waitFor();
    }
    const activity = (await api(server.url, 'GET', `/api/sessions/${created.code}`, undefined, created.host_key)).agenda[1].id;
    for (const [i, choice] of [0, 0, 1, 1, 2, 2].entries()) {
      const answer = await phones[3 + i].send({ type: 'answer', activity, round: null, choices: [choice] });
      assert.equal(answer.type, 'ack', JSON.stringify(answer));
    }
    if (!(await projector.locator('table.side').count())) {
      await console_.getByLabel('The projector may show').selectOption({ label: 'Every group side by side' });
      await console_.getByRole('button', { name: 'Apply to the projector' }).click();
    }
    await showOnProjector(console_);
    const side = projector.locator('table.side');
    const row = (option) => side.getByRole('row').filter({ has: projector.getByRole('rowheader', { name: option }) });
    // Everyone 4 of 9 (44%), parent carers 1 of 3 (33%), professionals 3 of 3 (100%).
    await row(OPTIONS[1]).locator('td.cell .main', { hasText: '44%' }).waitFor();
    assert.deepEqual(
      (await row(OPTIONS[1]).locator('td.cell .main').allTextContents()).map((text) => text.trim()),
      ['44%', '33%', '100%', '–'],
    );
    assert.deepEqual(
      (await row(OPTIONS[0]).locator('td.cell .main').allTextContents()).map((text) => text.trim()),
      ['22%', '67%', '0%', '–'],
    );
    await side.locator('td.fewer').first().waitFor();
    assert.equal(await overflows(projector), false, 'the choice side by side needs scrolling');
    await fits(projector, 'groups-projector-choice');
    await noViolations(projector, 'projector, a choice side by side');
    await shot(projector, 'groups-projector-choice-side-by-side-1280x720');
  });

  step('a second console follows what the projector may show, without a reload', async () => {
    const second = await openPage(browser, 'console 2', { viewport: CONSOLE });
    pages.push(second);
    await second.goto(created.host_url.replace(/^https?:\/\/[^/]+/, server.url));
    await second.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
    const pick = (page) => page.getByLabel('The projector may show');
    await pick(second).waitFor();
    assert.equal(await pick(second).inputValue(), 'side_by_side');
    // One console changes it; the other shows it, its pick too, without a reload.
    await pick(console_).selectOption({ label: 'Only Professional' });
    await console_.getByRole('button', { name: 'Apply to the projector' }).click();
    await second.getByText('Groups on the projector: only Professional').waitFor();
    await second.waitForFunction(() => document.querySelector('select[id^="split-"]')?.value === 'group-2');
    // And back from the second: the first follows.
    await pick(second).selectOption({ label: 'Every group side by side' });
    await second.getByRole('button', { name: 'Apply to the projector' }).click();
    await console_.getByText('Groups on the projector: every group side by side').waitFor();
    await console_.waitForFunction(() => document.querySelector('select[id^="split-"]')?.value === 'side_by_side');
    await noViolations(second, 'second console');
    await second.close();
  });

  step('a jam board split by group on the projector: notes and dots per frame, the small group suppressed', async () => {
    // More people: a parent carer, a professional, three "Other" and a second young person
    // (the young people stay fewer than K).
    const more = [];
    for (const group of [0, 2, 3, 3, 3, 1]) {
      const person = await socketPhone(created.code);
      const answer = await person.send({ type: 'group', group });
      assert.equal(answer.type, 'ack', JSON.stringify(answer));
      more.push(person);
    }
    const young = more[5];
    // Who writes: 3 parent carers, 3 professionals, 3 "Other", 2 without a group (so that the
    // answers not shown, 1 young person + 2, reach K and no second group is suppressed), and
    // the young person, with 7 notes, all in the first frame.
    const writers = [
      [phones[3], 'Parent carer'], [phones[4], 'Parent carer'], [more[0], 'Parent carer'],
      [phones[5], 'Professional'], [phones[6], 'Professional'], [more[1], 'Professional'],
      [more[2], 'Other'], [more[3], 'Other'], [more[4], 'Other'],
      [phones[7], null], [phones[8], null], [young, 'Young person'],
    ];
    await console_.getByRole('button', { name: `Go to ${BOARD}` }).click();
    const activity = (await api(server.url, 'GET', `/api/sessions/${created.code}`, undefined, created.host_key)).agenda[2].id;
    const posted = []; // { text, frame, group }
    const given = []; // { note: index in posted, group }
    for (const [w, [person, group]] of writers.entries()) {
      const count = group === 'Young person' ? 7 : w < 9 ? 5 : 4;
      for (let n = 0; n < count; n += 1) {
        const frame = group === 'Young person' ? 0 : (w + n) % FRAMES.length;
        const text = `Idea ${n + 1} from person ${w + 1}`;
        const answer = await person.sendPatiently({ type: 'note_add', activity, frame, text, color: 'yellow' });
        assert.equal(answer.type, 'ack', JSON.stringify(answer));
        posted.push({ text, frame, group });
      }
    }
    assert.equal(posted.length, 60);
    // Dot voting: each writer gives their 3 dots.
    const host = await hostSocket(server.url, created.code, created.host_key);
    assert.equal((await host.send({ type: 'voting', activity, open: true })).type, 'ack');
    const idOf = new Map();
    for (let i = 0; i < 100 && idOf.size < 60; i += 1) {
      for (const frame of host.results(activity)?.frames ?? []) for (const note of frame.notes) idOf.set(note.text, note.id);
      if (idOf.size < 60) await new Promise((done) => setTimeout(done, 100));
    }
    assert.equal(idOf.size, 60);
    for (const [w, [person, group]] of writers.entries()) {
      for (let d = 0; d < 3; d += 1) {
        const note = (w * 5 + d * 7 + 3) % posted.length;
        const { text } = posted[note];
        const answer = await person.sendPatiently({ type: 'dot', activity, note: idOf.get(text), add: true });
        assert.equal(answer.type, 'ack', JSON.stringify(answer));
        given.push({ note, group });
      }
    }
    if (!(await console_.getByText('Groups on the projector: every group side by side').count())) {
      await console_.getByLabel('The projector may show').selectOption({ label: 'Every group side by side' });
      await console_.getByRole('button', { name: 'Apply to the projector' }).click();
    }
    await showOnProjector(console_);
    const side = projector.locator('table.side');
    await side.waitFor();
    assert.deepEqual(
      (await side.locator('thead th.group .label').allTextContents()).map((text) => text.trim()),
      ['Everyone', ...GROUPS],
    );
    const row = (label) => side.getByRole('row').filter({ has: projector.getByRole('rowheader', { name: label, exact: true }) });
    // Everything in: the whole board's total, 60 notes and 36 dots.
    await row('Whole board').locator('td.cell .main', { hasText: '60 notes' }).waitFor();
    await row('Whole board').locator('td.cell .sub', { hasText: '36 dots' }).first().waitFor();
    const shownGroups = ['Everyone', 'Parent carer', 'Professional', 'Other'];
    const says = (n, one) => `${n} ${n === 1 ? one : `${one}s`}`;
    const ofGroup = (group) => (entry) => group === 'Everyone' || entry.group === group;
    /** What the row of the notes `inRow` (by index in `posted`) should say in each shown column. */
    const expected = (inRow, field, one) =>
      shownGroups.map((group) =>
        says(
          field === 'notes'
            ? posted.filter((entry, i) => inRow(i) && ofGroup(group)(entry)).length
            : given.filter((entry) => inRow(entry.note) && ofGroup(group)(entry)).length,
          one,
        ),
      );
    for (const [f, frame] of FRAMES.entries()) {
      const main = (await row(frame).locator('td.cell .main').allTextContents()).map((text) => text.trim());
      const sub = (await row(frame).locator('td.cell .sub').allTextContents()).map((text) => text.trim());
      assert.deepEqual(main, expected((i) => posted[i].frame === f, 'notes', 'note'), `notes in ${frame}`);
      assert.deepEqual(sub, expected((i) => posted[i].frame === f, 'dots', 'dot'), `dots in ${frame}`);
    }
    const all = () => true;
    assert.deepEqual((await row('Whole board').locator('td.cell .main').allTextContents()).map((text) => text.trim()), expected(all, 'notes', 'note'));
    assert.deepEqual((await row('Whole board').locator('td.cell .sub').allTextContents()).map((text) => text.trim()), expected(all, 'dots', 'dot'));
    // The young people: "fewer than K" down their column; their 7 notes in the first frame
    // are no cell's figure, and the phones' frame carries no figure of theirs either.
    assert.deepEqual((await side.locator('td.fewer').allTextContents()).map((text) => text.trim()), [`Fewer than ${K} people in this group`]);
    assert.equal(await side.locator('td.cell .main', { hasText: /^7 notes$/ }).count(), 0);
    // The phones' frame comes at its own pace: wait for the one with every dot.
    const votes = (data) => (data?.frames ?? []).reduce((sum, frame) => sum + frame.notes.reduce((n, note) => n + note.votes, 0), 0);
    for (let i = 0; i < 100 && votes(young.results(activity)) < 36; i += 1) await new Promise((done) => setTimeout(done, 100));
    const phoneFrame = young.results(activity);
    assert.equal(votes(phoneFrame), 36);
    assert.deepEqual(phoneFrame?.by_group?.['Young person'], { suppressed: true });
    // Their notes are in another group's board only for that group's dots, marked so.
    const dotted = Object.values(phoneFrame.by_group).flatMap((group) => (group.frames ?? []).flatMap((frame) => frame.notes));
    const theirs = dotted.filter((note) => note.text.endsWith('from person 12'));
    assert.ok(theirs.length > 0 && theirs.every((note) => note.dots_only === true), JSON.stringify(theirs));
    for (const size of PROJECTORS) {
      await projector.setViewportSize(size);
      await projector.waitForTimeout(500);
      await shot(projector, `groups-projector-board-side-by-side-${size.width}x${size.height}`);
      assert.equal(await overflows(projector), false, `the board split at ${size.width}×${size.height} needs scrolling`);
      await fits(projector, `groups-projector-board-${size.width}`);
      await noViolations(projector, `projector, a jam board side by side ${size.width}×${size.height}`);
    }
    // The facilitator sorts the notes into three themes (every fourth note left without):
    // the rows become the themes, across frames, then "No theme".
    const THEMES = ['Waiting times', 'Being listened to', 'Information'];
    for (const name of THEMES) assert.equal((await host.send({ type: 'theme', activity, theme: null, name })).type, 'ack');
    let themes = [];
    for (let i = 0; i < 100 && themes.length < THEMES.length; i += 1) {
      themes = host.results(activity)?.themes ?? [];
      if (themes.length < THEMES.length) await new Promise((done) => setTimeout(done, 100));
    }
    const themeOf = (i) => (i % 4 < 3 ? i % 4 : null);
    for (const [i, { text }] of posted.entries()) {
      const theme = themeOf(i);
      if (theme === null) continue;
      const id = themes.find((one) => one.name === THEMES[theme]).id;
      assert.equal((await host.send({ type: 'note_theme', activity, note: idOf.get(text), theme: id })).type, 'ack');
    }
    host.close();
    await row('No theme').waitFor();
    await row('Information').locator('td.cell .main', { hasText: `${posted.filter((_, i) => themeOf(i) === 2).length} notes` }).first().waitFor();
    assert.deepEqual(
      (await side.locator('tbody th[scope="row"]').allTextContents()).map((text) => text.trim()),
      [...THEMES, 'No theme', 'Whole board'],
    );
    for (const [t, name] of [...THEMES, 'No theme'].entries()) {
      const inRow = (i) => themeOf(i) === (t < 3 ? t : null);
      assert.deepEqual((await row(name).locator('td.cell .main').allTextContents()).map((text) => text.trim()), expected(inRow, 'notes', 'note'), `notes in ${name}`);
      assert.deepEqual((await row(name).locator('td.cell .sub').allTextContents()).map((text) => text.trim()), expected(inRow, 'dots', 'dot'), `dots in ${name}`);
    }
    assert.deepEqual((await side.locator('td.fewer').allTextContents()).map((text) => text.trim()), [`Fewer than ${K} people in this group`]);
    for (const size of [PROJECTORS[0], PROJECTORS[1]]) {
      await projector.setViewportSize(size);
      await projector.waitForTimeout(500);
      await shot(projector, `groups-projector-board-themes-${size.width}x${size.height}`);
      assert.equal(await overflows(projector), false, `the board split by theme at ${size.width}×${size.height} needs scrolling`);
      await fits(projector, `groups-projector-board-themes-${size.width}`);
    }
    await noViolations(projector, 'projector, a jam board side by side by theme');
    await projector.setViewportSize(PROJECTORS[1]);
  });

  step('the closing summary on the projector follows each activity with its split by group', async () => {
    const host = await hostSocket(server.url, created.code, created.host_key);
    assert.equal((await host.send({ type: 'close_session' })).type, 'ack');
    host.close();
    await projector.getByText(/^This session has ended\. Thank you/).waitFor(); // the page's words, not the live region's
    // Scale, choice and board, each followed by its table by group: six parts.
    await projector.getByText('Part 1 of 6').waitFor();
    const title = projector.locator('#summary-part');
    for (let i = 0; i < 6 && (await title.textContent()).trim() !== `By group: ${BOARD}`; i += 1) {
      await projector.getByRole('button', { name: 'Next part' }).click();
    }
    assert.equal((await title.textContent()).trim(), `By group: ${BOARD}`);
    const side = projector.locator('table.side');
    const row = (label) => side.getByRole('row').filter({ has: projector.getByRole('rowheader', { name: label, exact: true }) });
    await row('Whole board').locator('td.cell .main', { hasText: '60 notes' }).waitFor();
    assert.deepEqual((await side.locator('td.fewer').allTextContents()).map((text) => text.trim()), [`Fewer than ${K} people in this group`]);
    await shot(projector, 'groups-projector-summary-board-by-group-1280x720');
    assert.equal(await overflows(projector), false, 'the summary by group needs scrolling');
    await noViolations(projector, 'projector, closing summary by group');
    // The scale's by group: the young person's 5.0 nowhere.
    for (let i = 0; i < 6 && (await title.textContent()).trim() !== `By group: ${SCALE}`; i += 1) {
      await projector.getByRole('button', { name: 'Next part' }).click();
    }
    await side.locator('td.fewer').first().waitFor();
    assert.equal(await side.getByText('5.0').count(), 0);
    await projector.setViewportSize(PROJECTORS[0]);
    await projector.waitForTimeout(500);
    await shot(projector, 'groups-projector-summary-scale-by-group-1024x768');
    assert.equal(await overflows(projector), false, 'the summary by group needs scrolling at 1024×768');
  });

  step('no page raised a script error or a CSP violation', async () => {
    assert.deepEqual(pageProblems(pages), []);
  });
});
