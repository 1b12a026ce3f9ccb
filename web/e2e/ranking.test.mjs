// Ranking, on the real server in real browsers (issue 13): the facilitator builds a ranking of
// ten items on the front page; a phone ranks by keyboard alone (up/down buttons, each move said
// by the live region, the focus staying with the item), another by dragging; nothing is sent
// before "Send my ranking"; the projector orders the items by mean rank with their points
// (Borda) and how many ranked them first, at 1024×768, 1280×720 and 1920×1080 without
// scrolling; axe finds nothing anywhere.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { announcements, api, heard, launchBrowser, openPage, pageProblems, recordAnnouncements, shot, startServer } from './harness.mjs';
import {
  CONSOLE,
  NARROW,
  PHONE,
  PROJECTORS,
  buildOnFrontPage,
  fillLines,
  fits,
  joinPhone,
  noViolations,
  projectorAtEverySize,
  showOnProjector,
  walk,
} from './kinds.mjs';

const TITLE = 'What matters most to families?';
const ITEMS = ['Being listened to', 'Clear information', 'Quick decisions', 'Short breaks for carers',
  'Transport to appointments', 'Training for staff', 'One named contact', 'Help with forms', 'Peer support groups',
  'Information in easy read'];

let server;
let browser;
let built;
let console_;
let projector;
const phones = [];
const pages = [];
const step = walk(it, pages, 'ranking');

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const order = (phone) => phone.locator('ol.ranking .text').allTextContents();
const status = (phone) => phone.locator('.save');

async function exportRows() {
  const key = decodeURIComponent(new URL(built.hostUrl).hash.slice(5));
  return (await api(server.url, 'GET', `/api/sessions/${built.code}/export/json`, undefined, key)).responses;
}

describe('ranking', () => {
  step('is built on the front page with ten items', async () => {
    built = await buildOnFrontPage(browser, server, {
      title: 'Family forum',
      addLabel: 'Add a ranking',
      async fill(card) {
        await card.getByLabel('Question').fill(TITLE);
        await fillLines(card, 'item', ITEMS);
        assert.equal(await card.getByRole('button', { name: 'Add an item' }).isDisabled(), true, '10 is the most');
        // Reorder in the editor: the last item one place up, by its button.
        await card.getByRole('button', { name: 'Move item 10 up' }).click();
        await card.getByRole('button', { name: 'Move item 9 down' }).click();
      },
    });
    pages.push(built.landing);
  });

  step('a phone ranks by keyboard alone, every move said, nothing sent before it confirms', async () => {
    console_ = await openPage(browser, 'console', { viewport: CONSOLE });
    pages.push(console_);
    await console_.goto(built.hostUrl);
    await console_.getByRole('heading', { name: 'Family forum', level: 1 }).waitFor();
    projector = await openPage(browser, 'projector', { viewport: PROJECTORS[1] });
    pages.push(projector);
    await projector.goto(built.presentUrl);
    for (const [name, viewport] of [['phone 320', NARROW], ['phone 390', PHONE]]) {
      const phone = await joinPhone(browser, server, built.code, name, viewport);
      phones.push(phone);
      pages.push(phone);
    }
    await console_.getByRole('button', { name: `Go to ${TITLE}` }).click();
    for (const phone of phones) {
      await phone.getByRole('heading', { name: TITLE }).waitFor();
      // The question's own live region (moves, points left) is there from now on.
      await recordAnnouncements(phone);
    }
    const keyboard = phones[0];
    assert.deepEqual(await order(keyboard), ITEMS);
    await fits(keyboard, 'ranking-phone-320');
    await noViolations(keyboard, 'phone 320, ranking');

    // "Quick decisions" (3rd) to the top: focus its "up" button, Enter twice. At the top its
    // "up" button goes, and the focus moves to its "down" button.
    await keyboard.getByRole('button', { name: /^Move “Quick decisions” up/ }).focus();
    await keyboard.keyboard.press('Enter');
    await keyboard.keyboard.press('Enter');
    const focused = await keyboard.evaluate(() => document.activeElement?.textContent ?? '');
    assert.match(focused, /Move “Quick decisions” down, now 1 of 10/);
    // "Information in easy read" (last) one place up, by keyboard from where the focus is.
    await keyboard.getByRole('button', { name: /^Move “Information in easy read” up/ }).focus();
    await keyboard.keyboard.press('Space');
    assert.deepEqual((await order(keyboard)).slice(0, 3), ['Quick decisions', 'Being listened to', 'Clear information']);
    assert.deepEqual((await order(keyboard)).slice(-2), ['Information in easy read', 'Peer support groups']);
    await heard(keyboard, /“Information in easy read” is now 9 of 10\./);
    const said = (await announcements(keyboard)).map((a) => a.text);
    assert.ok(said.includes('“Quick decisions” is now 1 of 10, at the top.'), `heard: ${said.join(' | ')}`);
    assert.ok(said.includes('“Information in easy read” is now 9 of 10.'), `heard: ${said.join(' | ')}`);
    assert.equal((await exportRows()).length, 0, 'nothing is sent before "Send my ranking"');
    await shot(keyboard, 'ranking-phone-320-moved');
    await keyboard.getByRole('button', { name: 'Send my ranking' }).focus();
    await keyboard.keyboard.press('Enter');
    await status(keyboard).getByText('Saved').waitFor();
    await noViolations(keyboard, 'phone 320, ranking saved');
    await shot(keyboard, 'ranking-phone-320-saved');
  });

  step('another phone drags an item to the top and sends', async () => {
    const phone = phones[1];
    const handle = phone.locator('ol.ranking li').nth(6).locator('.handle');
    const from = await handle.boundingBox();
    const top = await phone.locator('ol.ranking li').first().boundingBox();
    await phone.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await phone.mouse.down();
    for (let y = from.y; y > top.y; y -= 15) await phone.mouse.move(from.x + from.width / 2, y);
    await phone.mouse.move(from.x + from.width / 2, top.y + 4);
    await phone.mouse.up();
    assert.equal((await order(phone))[0], 'One named contact');
    await phone.getByRole('button', { name: 'Send my ranking' }).tap();
    await status(phone).getByText('Saved').waitFor();
    await fits(phone, 'ranking-phone-390');
    await noViolations(phone, 'phone 390, ranking saved');
    await shot(phone, 'ranking-phone-390-saved');
  });

  step('the projector orders the items by mean rank, with points and firsts', async () => {
    await showOnProjector(console_);
    const rows = projector.locator('tbody tr');
    await projector.getByText('2 rankings').waitFor();
    // Phone 1: Quick decisions, Being listened to, Clear information, Short breaks, Transport,
    // Training, One named contact, Help with forms, Information in easy read, Peer support.
    // Phone 2: One named contact, then the given order. Points (Borda): 9 for a first place
    // of ten, one fewer for each place below.
    const cells = async (item) =>
      (await rows.filter({ hasText: item }).locator('td').allTextContents()).map((c) => c.replace(/\s+/g, ' ').trim());
    const expected = {
      'Being listened to': ['1', '2.0', '16', '0 of 2'], // 2nd and 2nd
      'Quick decisions': ['2', '2.5', '15', '1 of 2'], // 1st and 4th
      'Clear information': ['3', '3.0', '14', '0 of 2'], // 3rd and 3rd
      'One named contact': ['4', '4.0', '12', '1 of 2'], // 7th and 1st
      'Short breaks for carers': ['5', '4.5', '11', '0 of 2'], // 4th and 5th
    };
    await rows.first().getByText('Being listened to').waitFor();
    for (const [item, want] of Object.entries(expected)) assert.deepEqual(await cells(item), want, item);
    const shown = (await rows.locator('th').allTextContents()).map((t) => t.trim());
    assert.deepEqual(shown.slice(0, 5), Object.keys(expected), 'the items by mean rank');
    await noViolations(console_, 'console, ranking results');
    await projectorAtEverySize(projector, 'ranking');
    assert.deepEqual(pageProblems(pages), []);
  }, { timeout: 120_000 });
});
