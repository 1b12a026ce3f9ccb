// Multiple choice, on the real server in real browsers (issue 13): the facilitator builds a
// choice of twelve options, up to three each, asked Before and After, on the front page; phones
// at 320 and 390 px choose (a fourth tick is refused and said), send, see "Saved", change their
// choice; the projector shows each option's count and share "of N people" per round and the
// change, at 1024×768, 1280×720 and 1920×1080 without scrolling; axe finds nothing anywhere.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { api, launchBrowser, openPage, pageProblems, shot, startServer } from './harness.mjs';
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

const TITLE = 'Which word should we use for working together?';
const OPTIONS = ['Co-production', 'Working together', 'Partnership', 'Shared decisions', 'Joint working',
  'Collaboration', 'Equal voices', 'Participation', 'Family-led design', 'People first', 'Community power', 'Side by side'];

let server;
let browser;
let built;
let console_;
let projector;
const phones = [];
const pages = [];
const step = walk(it, pages, 'choice');

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const box = (phone, option) => phone.getByRole('checkbox', { name: option, exact: true });
const status = (phone) => phone.locator('.save');

describe('multiple choice', () => {
  step('is built on the front page: twelve options, up to three, Before and After', async () => {
    built = await buildOnFrontPage(browser, server, {
      title: 'Family forum',
      addLabel: 'Add a choice',
      async fill(card) {
        await card.getByLabel('Question').fill(TITLE);
        await fillLines(card, 'option', OPTIONS);
        assert.equal(await card.getByRole('button', { name: 'Add an option' }).isDisabled(), true, '12 is the most');
        await card.getByRole('radio', { name: 'More than one' }).check();
        await card.getByLabel('Up to').fill('3');
        await card.getByRole('button', { name: 'Use “Before” and “After”' }).click();
      },
    });
    pages.push(built.landing);
    const session = await api(server.url, 'GET', `/api/sessions/${built.code}`, undefined, new URL(built.hostUrl).hash.slice(5));
    const choice = session.agenda[0];
    assert.equal(choice.kind, 'choice');
    assert.deepEqual(choice.options, OPTIONS);
    assert.equal(choice.max_choices, 3);
    assert.deepEqual(choice.rounds, ['Before', 'After']);
  });

  step('phones choose up to three, the fourth refused, and send', async () => {
    console_ = await openPage(browser, 'console', { viewport: CONSOLE });
    pages.push(console_);
    await console_.goto(built.hostUrl);
    await console_.getByRole('heading', { name: 'Family forum', level: 1 }).waitFor();
    projector = await openPage(browser, 'projector', { viewport: PROJECTORS[1] });
    pages.push(projector);
    await projector.goto(built.presentUrl);
    for (const [name, viewport] of [['phone 320', NARROW], ['phone 390', PHONE], ['phone 390 b', PHONE]]) {
      const phone = await joinPhone(browser, server, built.code, name, viewport);
      phones.push(phone);
      pages.push(phone);
    }
    await console_.getByRole('button', { name: `Go to Before of ${TITLE}` }).click();
    for (const phone of phones) await phone.getByRole('heading', { name: TITLE }).waitFor();
    await phones[0].getByText('Choose up to 3.').waitFor();

    // Phone 1: three ticks, then a fourth that is refused and said.
    for (const option of OPTIONS.slice(0, 3)) await box(phones[0], option).check();
    await box(phones[0], OPTIONS[3]).click();
    assert.equal(await box(phones[0], OPTIONS[3]).isChecked(), false, 'a fourth tick does not stay');
    await phones[0].getByText(`You can choose up to 3. Untick one first to choose “${OPTIONS[3]}”.`).first().waitFor();
    await phones[0].getByText('3 of 3 chosen.').waitFor();
    await fits(phones[0], 'choice-phone-320');
    await noViolations(phones[0], 'phone 320, choice, the fourth refused');
    await shot(phones[0], 'choice-phone-320');
    await phones[0].getByRole('button', { name: 'Send my choice' }).tap();
    await status(phones[0]).getByText('Saved').waitFor();

    // Phone 2 by keyboard: Tab to the second option, Space, Tab on to the button, Enter.
    await box(phones[1], OPTIONS[1]).focus();
    await phones[1].keyboard.press('Space');
    await phones[1].getByRole('button', { name: 'Send my choice' }).focus();
    await phones[1].keyboard.press('Enter');
    await status(phones[1]).getByText('Saved').waitFor();
    await fits(phones[1], 'choice-phone-390');
    await noViolations(phones[1], 'phone 390, choice saved');
    await shot(phones[1], 'choice-phone-390-saved');

    // Phone 3 chooses, then changes its mind before sending: only the last is saved.
    await box(phones[2], OPTIONS[0]).check();
    await box(phones[2], OPTIONS[0]).uncheck();
    await box(phones[2], OPTIONS[1]).check();
    await phones[2].getByRole('button', { name: 'Send my choice' }).tap();
    await status(phones[2]).getByText('Saved').waitFor();
  });

  step('the projector shows counts and shares of the people who answered', async () => {
    await showOnProjector(console_);
    const row = (option) => projector.locator('li.row').filter({ hasText: option });
    // Before: 3 people; "Working together" by 3 (100%), "Co-production" by 1 (33%).
    await row('Working together').getByText('3 · 100%').waitFor();
    await row('Co-production').getByText('1 · 33%').waitFor();
    // Both rounds are drawn; the round on screen is the current line.
    await row('Equal voices').locator('.line.current').getByText('0 · 0%').waitFor();
    await projector.getByText('3 people', { exact: false }).first().waitFor();
    await console_.locator('li.row').filter({ hasText: 'Partnership' }).getByText('1 · 33%').waitFor();
    await console_.getByText('Shares are of the 3 people who answered', { exact: false }).waitFor();
    await noViolations(console_, 'console, choice results');

    // After: phone 1 changes to one option only; the change is drawn in percentage points.
    await console_.getByRole('button', { name: `Go to After of ${TITLE}` }).click();
    await phones[0].getByText('Round:').getByText('After').waitFor();
    await box(phones[0], OPTIONS[11]).check();
    await phones[0].getByRole('button', { name: 'Send my choice' }).tap();
    await status(phones[0]).getByText('Saved').waitFor();
    await box(phones[1], OPTIONS[11]).check();
    await phones[1].getByRole('button', { name: 'Send my choice' }).tap();
    await status(phones[1]).getByText('Saved').waitFor();
    // After: 2 people; "Side by side" by 2 (100%, +100 points), "Working together" by 0 (−100).
    await row('Side by side').getByText('2 · 100%').waitFor();
    await row('Side by side').getByText('+100').waitFor();
    await row('Working together').getByText('0 · 0%').waitFor();
    await row('Working together').getByText('\u2212100').waitFor();
    await projectorAtEverySize(projector, 'choice');
    assert.deepEqual(pageProblems(pages), []);
  }, { timeout: 120_000 });
});
