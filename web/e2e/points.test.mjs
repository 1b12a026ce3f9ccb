// 100 points, on the real server in real browsers (issue 13): the facilitator builds points to
// spread over ten items, asked Before and After, on the front page; a phone's steppers stop at
// the budget (a step past it refused and said), points typed over the budget are refused on the
// phone and nothing is sent; the points left are shown and said; "Send my points" saves; the
// projector shows each item's total and mean per round and the change of the mean, at 1024×768,
// 1280×720 and 1920×1080 without scrolling; axe finds nothing anywhere.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { announcements, api, launchBrowser, openPage, pageProblems, recordAnnouncements, shot, startServer } from './harness.mjs';
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

const TITLE = 'Spend 100 points on what matters most';
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
const step = walk(it, pages, 'points');

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const field = (phone, item) => phone.getByRole('textbox', { name: item, exact: true });
const more = (phone, item) => phone.getByRole('button', { name: `5 more for “${item}”` });
const left = (phone) => phone.locator('p.left');
const status = (phone) => phone.locator('.save');

async function exportRows() {
  const key = decodeURIComponent(new URL(built.hostUrl).hash.slice(5));
  return (await api(server.url, 'GET', `/api/sessions/${built.code}/export/json`, undefined, key)).responses;
}

describe('points', () => {
  step('are built on the front page: ten items, 100 points, Before and After', async () => {
    built = await buildOnFrontPage(browser, server, {
      title: 'Family forum',
      addLabel: 'Add points to spread',
      async fill(card) {
        await card.getByLabel('Question').fill(TITLE);
        await fillLines(card, 'item', ITEMS);
        assert.equal(await card.getByLabel('Points each person spreads').inputValue(), '100');
        await card.getByRole('button', { name: 'Use “Before” and “After”' }).click();
      },
    });
    pages.push(built.landing);
  });

  step('a phone cannot go over the budget: steps stop, typed points over it are not sent', async () => {
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
    await console_.getByRole('button', { name: `Go to Before of ${TITLE}` }).click();
    for (const phone of phones) {
      await phone.getByRole('heading', { name: TITLE }).waitFor();
      // The question's own live region (moves, points left) is there from now on.
      await recordAnnouncements(phone);
    }
    const phone = phones[0];
    await left(phone).getByText('100 points left of 100').waitFor();
    await fits(phone, 'points-phone-320');
    await noViolations(phone, 'phone 320, points');

    // Typed over the budget: marked, and "Send" refuses with the reason; nothing leaves.
    await field(phone, ITEMS[0]).fill('70');
    await field(phone, ITEMS[1]).fill('50');
    await left(phone).getByText('20 points over the budget of 100').waitFor();
    assert.equal(await field(phone, ITEMS[1]).getAttribute('aria-invalid'), 'true');
    await phone.getByRole('button', { name: 'Send my points' }).tap();
    // Shown on screen and said by the live region: the one on screen.
    await phone
      .locator('p.message')
      .filter({ hasText: 'Not sent. That is 20 points over the budget of 100. Take some off first.' })
      .waitFor();
    await phone.waitForTimeout(300);
    assert.equal((await exportRows()).length, 0, 'points over the budget never leave the phone');
    await noViolations(phone, 'phone 320, points over the budget');
    await shot(phone, 'points-phone-320-over');

    // Steps: 70 + 20 = 90; two steps of 5 reach 100, the third is refused and said.
    await field(phone, ITEMS[1]).fill('20');
    await more(phone, ITEMS[2]).tap();
    await more(phone, ITEMS[2]).tap();
    await left(phone).getByText('All 100 points given').waitFor();
    assert.equal(await more(phone, ITEMS[2]).getAttribute('aria-disabled'), 'true');
    await more(phone, ITEMS[2]).click({ force: true });
    await phone.getByText('No points left. Take some from another item first.').first().waitFor();
    assert.equal(await field(phone, ITEMS[2]).inputValue(), '10');
    await phone.waitForTimeout(1000);
    const said = (await announcements(phone)).map((a) => a.text);
    assert.ok(said.includes('No points left. Take some from another item first.'), `heard: ${said.join(' | ')}`);
    await phone.getByRole('button', { name: 'Send my points' }).tap();
    await status(phone).getByText('Saved').waitFor();
    await shot(phone, 'points-phone-320-saved');

    // Phone 2, by keyboard: 40 typed, a step of 5 on another item, sent with Enter.
    const other = phones[1];
    await field(other, ITEMS[0]).focus();
    await field(other, ITEMS[0]).evaluate((input) => input.select());
    await other.keyboard.type('40');
    await more(other, ITEMS[3]).focus();
    await other.keyboard.press('Enter');
    await left(other).getByText('55 points left of 100').waitFor();
    await other.waitForTimeout(1000);
    const heard = (await announcements(other)).map((a) => a.text);
    assert.ok(heard.includes('55 points left of 100.'), `heard: ${heard.join(' | ')}`);
    await other.getByRole('button', { name: 'Send my points' }).focus();
    await other.keyboard.press('Enter');
    await status(other).getByText('Saved').waitFor();
    await fits(other, 'points-phone-390');
    await noViolations(other, 'phone 390, points saved');
  });

  step('the projector shows total and mean per item and round, and the change', async () => {
    await showOnProjector(console_);
    const row = (item) => projector.locator('li.row').filter({ hasText: item });
    // Before: 70 + 40 = 110 (mean 55.0), 20 + 0 (mean 10.0), 10 + 0 (5.0), 0 + 5 (2.5).
    await row(ITEMS[0]).getByText('110 · 55.0 each').waitFor();
    await row(ITEMS[1]).getByText('20 · 10.0 each').waitFor();
    await row(ITEMS[2]).getByText('10 · 5.0 each').waitFor();
    await row(ITEMS[3]).getByText('5 · 2.5 each').waitFor();

    // After: phone 1 gives everything to "Short breaks for carers".
    await console_.getByRole('button', { name: `Go to After of ${TITLE}` }).click();
    await phones[0].getByText('Round:').getByText('After').waitFor();
    await left(phones[0]).getByText('100 points left of 100').waitFor();
    await field(phones[0], ITEMS[3]).fill('100');
    await phones[0].getByRole('button', { name: 'Send my points' }).tap();
    await status(phones[0]).getByText('Saved').waitFor();
    // After: 1 person; "Short breaks" 100 (mean 100.0, up 97.5 from 2.5).
    await row(ITEMS[3]).getByText('100 · 100.0 each').waitFor();
    await row(ITEMS[3]).getByText('+97.5').waitFor();
    await noViolations(console_, 'console, points results');
    await projectorAtEverySize(projector, 'points');
    assert.deepEqual(pageProblems(pages), []);
  }, { timeout: 120_000 });
});
