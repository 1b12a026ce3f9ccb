// A walk through every screen against a running Chorus server, in headless Chromium, as a
// person would: create a session, open the console, the projector and two phones, run a
// before/after scale, a word cloud and a jam board, edit the agenda, close. Checks
// accessibility with axe-core on each screen, fails on any Content-Security-Policy violation
// or script error, and leaves screenshots in test-output/.
//
//   cargo run -- serve --bind 127.0.0.1:8080 --data-dir ./chorus-data
//   CHORUS_URL=http://127.0.0.1:8080 npm run e2e
//
// Chromium comes from the system (Debian: `apt-get install chromium`); set CHROMIUM to
// another path if needed. Nothing is downloaded.

import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { chromium } from 'playwright-core';

const BASE = (process.env.CHORUS_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const OUT = new URL('../test-output/', import.meta.url).pathname;
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

mkdirSync(OUT, { recursive: true });

const problems = [];
const fail = (what) => {
  problems.push(what);
  console.error(`✗ ${what}`);
};
const ok = (what) => console.log(`✓ ${what}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

/** A page that reports CSP violations and script errors as failures. */
async function open(name, viewport) {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, reducedMotion: 'reduce' });
  const page = await context.newPage();
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to/i.test(text)) fail(`${name}: CSP violation: ${text}`);
    else if (text.includes('[svelte]')) fail(`${name}: Svelte warning: ${text}`);
    else if (message.type() === 'error' && !/Failed to load resource.*(401|404|409)/.test(text)) {
      fail(`${name}: console error: ${text}`);
    }
  });
  page.on('pageerror', (error) => fail(`${name}: script error: ${error.message}`));
  return page;
}

async function axe(page, name) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() =>
    // @ts-ignore axe is injected above
    window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
    }),
  );
  if (result.violations.length === 0) ok(`${name}: no axe violations`);
  for (const v of result.violations) {
    fail(`${name}: axe ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  }
}

async function noHorizontalScroll(page, name) {
  const wide = await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
  if (wide) fail(`${name}: scrolls sideways at ${page.viewportSize()?.width}px`);
  else ok(`${name}: no sideways scrolling at ${page.viewportSize()?.width}px`);
}

async function shot(page, name) {
  await page.screenshot({ path: `${OUT}${name}.png`, fullPage: true });
}

try {
  // --- Front page: create a session with a before/after scale.
  const landing = await open('landing', { width: 1100, height: 900 });
  await landing.goto(`${BASE}/`);
  await axe(landing, 'landing');
  await landing.getByRole('button', { name: 'Create the session' }).click();
  await landing.getByText('Please check these:').waitFor();
  ok('landing: empty form explains what is missing');
  await landing.getByLabel('Session title').fill('Co-production training, session 1');
  await landing.getByLabel('Title', { exact: true }).fill('How do you feel about co-production?');
  await landing.getByLabel('Statement 1', { exact: true }).fill('I understand the term co-production');
  await landing.getByRole('button', { name: 'Add a statement' }).click();
  await landing.getByLabel('Statement 2', { exact: true }).fill('I know how to use co-production within my daily life');
  await landing.getByLabel('Words for the lowest point (optional)').fill('Not at all');
  await landing.getByLabel('Words for the highest point (optional)').fill('Completely');
  await landing.getByRole('button', { name: 'Use “Before” and “After”' }).click();
  await landing.getByRole('button', { name: 'Add a word cloud' }).click();
  await landing.getByLabel('Question', { exact: true }).fill('What word would you use instead of co-production?');
  await landing.getByRole('button', { name: 'Add a jam board' }).click();
  await landing.getByLabel('Title', { exact: true }).nth(1).fill('What gets in the way?');
  await landing.getByRole('button', { name: 'Use “Barriers” and “Successes”' }).click();
  await landing.getByLabel('Dots per person').fill('3');
  await shot(landing, '01-landing-form');
  // By keyboard: at the very bottom of a long page, headless Chromium scrolls a little as the
  // button takes focus, and a mouse click then ends on another element.
  await landing.getByRole('button', { name: 'Create the session' }).focus();
  await landing.keyboard.press('Enter');
  const ready = landing.getByRole('heading', { name: 'Your session is ready' });
  await ready.or(landing.getByText('Please check this')).first().waitFor();
  if (!(await ready.isVisible())) throw new Error(`not created: ${await landing.locator('.problems').innerText()}`);
  await shot(landing, '02-landing-created');
  await axe(landing, 'created');
  const hostUrl = await landing.getByRole('link', { name: /\/host\// }).getAttribute('href');
  const presentUrl = await landing.getByRole('link', { name: /\/present\// }).getAttribute('href');
  const joinUrl = await landing.getByRole('link', { name: /\/j\// }).getAttribute('href');
  const code = /\/j\/(\d{8})/.exec(joinUrl ?? '')?.[1];
  if (!hostUrl?.includes('#key=') || !presentUrl?.includes('#key=') || !code) throw new Error('links missing');
  ok(`created session ${code}`);

  // --- Join box.
  await landing.goto(`${BASE}/`);
  await landing.getByLabel('Session code').fill(`${code.slice(0, 4)} ${code.slice(4)}`);
  await landing.getByRole('button', { name: 'Join' }).click();
  await landing.waitForURL(`**/j/${code}`);
  ok('join box goes to the participant page');

  // --- Console, projector, two phones.
  const console_ = await open('console', { width: 1280, height: 900 });
  await console_.goto(hostUrl);
  await console_.getByRole('heading', { name: 'Co-production training, session 1' }).waitFor();
  const presenter = await open('presenter', { width: 1280, height: 720 });
  await presenter.goto(presentUrl);
  await presenter.getByText('Join on your phone').waitFor();
  const phone = await open('phone', { width: 360, height: 740 });
  await phone.goto(`${BASE}/j/${code}`);
  await phone.getByRole('heading', { name: 'Waiting for the facilitator…' }).waitFor();
  const small = await open('phone-320', { width: 320, height: 640 });
  await small.goto(`${BASE}/j/${code}`);
  await small.getByRole('heading', { name: 'Waiting for the facilitator…' }).waitFor();
  await console_.getByText(/^[23] joined$/).waitFor();
  await shot(console_, '02b-console-waiting');
  await shot(presenter, '03-presenter-waiting');
  await shot(phone, '04-phone-waiting');
  await axe(presenter, 'presenter waiting');
  await axe(phone, 'phone waiting');

  // --- Go to the scale's first round.
  await console_.getByRole('button', { name: 'Go to Before of How do you feel about co-production?' }).click();
  await console_.getByText('Showing now: Before').waitFor();
  await phone.getByRole('heading', { name: 'How do you feel about co-production?' }).waitFor();
  await phone.getByRole('radio', { name: '4' }).first().check();
  await phone.getByText('Saved').first().waitFor();
  ok('phone: "Saved" after the ack');
  await phone.getByRole('radio', { name: '5 — Completely' }).nth(1).check();
  await small.getByRole('radio', { name: '1 — Not at all' }).first().check();
  await small.getByText('Saved').first().waitFor();
  await noHorizontalScroll(small, 'phone-320');
  await shot(phone, '05-phone-answered');
  await shot(small, '06-phone-320-answered');
  await axe(phone, 'phone answering');
  await presenter.getByText('2 answers').first().waitFor();
  ok('presenter: live results');

  // --- Reload keeps identity and answers.
  await phone.reload();
  await phone.getByRole('radio', { name: '4' }).first().waitFor();
  if (await phone.getByRole('radio', { name: '4' }).first().isChecked()) ok('phone: answers back after reload');
  else fail('phone: answers lost after reload');

  // --- After round, reveal, stop.
  await console_.getByRole('button', { name: 'Go to After of How do you feel about co-production?' }).click();
  await phone.getByText('Round: After').waitFor();
  await phone.getByRole('radio', { name: '5 — Completely' }).first().check();
  await phone.getByText('Saved').first().waitFor();
  await console_.getByRole('button', { name: 'Show results on phones' }).click();
  await console_.getByRole('button', { name: 'Hide results' }).waitFor();
  await phone.getByRole('heading', { name: 'Results so far' }).waitFor();
  ok('phone: results shown when revealed');
  await console_.getByRole('button', { name: 'Stop answers' }).click();
  await phone.getByText('Answers are closed for now.').waitFor();
  ok('phone: answers closed');
  await presenter.getByText('Change').first().waitFor();
  await shot(presenter, '07-presenter-results');
  await shot(console_, '08-console');
  await shot(phone, '09-phone-results');
  await axe(console_, 'console');
  await axe(presenter, 'presenter results');
  await axe(phone, 'phone results');

  // --- Word cloud.
  const cloudQuestion = 'What word would you use instead of co-production?';
  await console_.getByRole('button', { name: `Go to ${cloudQuestion}` }).click();
  await phone.getByRole('heading', { name: cloudQuestion }).waitFor();
  await phone.getByLabel('Your word').fill('Families');
  await phone.getByRole('button', { name: 'Send' }).click();
  await phone.getByText('Saved').first().waitFor();
  await small.getByRole('heading', { name: cloudQuestion }).waitFor();
  await small.getByLabel('Your word').fill('family');
  await small.getByRole('button', { name: 'Send' }).click();
  await small.getByLabel('Your word').fill('trust');
  await small.getByRole('button', { name: 'Send' }).click();
  await small.getByLabel('Your word').fill('the');
  await small.getByRole('button', { name: 'Send' }).click();
  await small.getByText(/Not saved: .*too common/).waitFor();
  ok('phone: a refused word says why');
  await presenter.getByText('3 words from 2 people').waitFor();
  ok('presenter: live word cloud');
  await noHorizontalScroll(small, 'phone-320 word cloud');
  await shot(phone, '09b-phone-wordcloud');
  await shot(small, '09c-phone-320-wordcloud');
  await shot(presenter, '09d-presenter-wordcloud');
  await axe(phone, 'phone word cloud');
  await axe(presenter, 'presenter word cloud');
  await console_.getByRole('button', { name: 'Hide “trust”' }).click();
  await console_.getByRole('button', { name: 'Show “trust”' }).waitFor();
  await presenter.locator('.cloud li', { hasText: 'trust' }).waitFor({ state: 'detached' });
  ok('console: a hidden word leaves the projector');
  await shot(console_, '09e-console-wordcloud');
  await axe(console_, 'console word cloud');

  // --- Jam board.
  const boardTitle = 'What gets in the way?';
  await console_.getByRole('button', { name: `Go to ${boardTitle}` }).click();
  await phone.getByRole('heading', { name: boardTitle }).waitFor();
  await phone.getByLabel('Your note').fill('Not enough time');
  await phone.getByRole('button', { name: 'Post the note' }).click();
  await phone.getByText('Saved').first().waitFor();
  await small.getByRole('heading', { name: boardTitle }).waitFor();
  await small.getByLabel('Frame').selectOption({ label: 'Successes' });
  await small.getByLabel('Your note').fill('Good teams');
  await small.getByRole('radio', { name: 'Green' }).check();
  await small.getByRole('button', { name: 'Post the note' }).click();
  await small.getByText('Saved').first().waitFor();
  await presenter.getByText('Good teams').waitFor();
  await presenter.getByText('Not enough time').waitFor();
  ok('presenter: notes on the board');
  await console_.getByLabel('New theme').fill('Resources');
  await console_.getByRole('button', { name: 'Add the theme' }).click();
  await console_.getByLabel('Theme of “Not enough time”').selectOption({ label: 'Resources' });
  await presenter.getByText('Resources').first().waitFor();
  ok('console: a note put in a theme');
  await console_.getByRole('button', { name: 'Start dot voting' }).click();
  await console_.getByRole('button', { name: 'Show results on phones' }).click();
  await phone.getByRole('button', { name: 'Add a dot to “Good teams”' }).click();
  await phone.getByText('Your dots: 1').waitFor();
  await presenter.getByText('1 dot', { exact: true }).waitFor();
  ok('phone: dot voting');
  await noHorizontalScroll(small, 'phone-320 jam board');
  await shot(phone, '09f-phone-jamboard');
  await shot(small, '09g-phone-320-jamboard');
  await shot(presenter, '09h-presenter-jamboard');
  await shot(console_, '09i-console-jamboard');
  await axe(phone, 'phone jam board');
  await axe(presenter, 'presenter jam board');
  await axe(console_, 'console jam board');
  await console_.getByText('Arrange the notes on the projector').click();
  const chip = console_.locator('#arrange-1, .chip', { hasText: 'Not enough time' }).first();
  await chip.focus();
  await console_.keyboard.press('ArrowDown');
  await console_.keyboard.press('Shift+ArrowRight');
  await presenter.locator('.note.absolute', { hasText: 'Not enough time' }).waitFor();
  ok('console: a note moved with the keyboard is placed on the projector');
  const drag = console_.locator('.chip', { hasText: 'Good teams' });
  const from = await drag.boundingBox();
  if (from) {
    await console_.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
    await console_.mouse.down();
    await console_.mouse.move(from.x + from.width / 2 + 30, from.y + from.height / 2 + 40, { steps: 5 });
    await console_.mouse.up();
    await presenter.locator('.note.absolute', { hasText: 'Good teams' }).waitFor();
    ok('console: a dragged note is placed on the projector');
  }
  await shot(console_, '09j-console-arrange');
  await shot(presenter, '09k-presenter-arranged');
  await axe(console_, 'console arranging');
  await console_.getByRole('button', { name: 'Hide “Good teams”' }).click();
  await presenter.getByText('Good teams').waitFor({ state: 'detached' });
  ok('console: a hidden note leaves the projector');
  await console_.getByRole('button', { name: 'Lock the board' }).click();
  await console_.getByRole('button', { name: 'Unlock the board' }).waitFor();
  await phone.getByLabel('Your note').fill('Money');
  await phone.getByRole('button', { name: 'Post the note' }).click();
  await phone.getByText(/Not saved: .*locked/).waitFor();
  ok('phone: a locked board says so');

  // --- Agenda editor in the console.
  await console_.getByRole('button', { name: 'Edit the agenda' }).click();
  await console_.getByRole('heading', { name: 'Edit the agenda' }).waitFor();
  await shot(console_, '10-console-editing');
  await axe(console_, 'console editing');
  await console_.getByRole('button', { name: 'Remove statement 2' }).click();
  await console_.getByRole('button', { name: 'Save the agenda' }).click();
  await console_.getByText('The agenda was not saved.').waitFor();
  ok('console: refusal of an edit shows the server message');
  await console_.getByRole('button', { name: 'Cancel' }).click();

  // --- Close.
  await console_.getByRole('button', { name: 'Close session…' }).click();
  await console_.getByRole('dialog', { name: 'Close this session?' }).waitFor();
  await shot(console_, '11-console-close-dialog');
  await console_.getByRole('button', { name: 'Close the session' }).click();
  await phone.getByRole('heading', { name: 'This session has ended. Thank you!' }).waitFor();
  await presenter.getByText('This session has ended. Thank you for taking part!').waitFor();
  await console_.getByRole('heading', { name: 'This session is closed' }).waitFor();
  ok('every screen says the session ended');
  const downloaded = console_.waitForEvent('download', { timeout: 15_000 }).catch(() => null);
  await console_.getByRole('button', { name: 'JSON' }).click();
  const download = await Promise.race([
    downloaded,
    console_.locator('.closed-note .status.error').waitFor({ timeout: 15_000 }).then(() => null),
  ]);
  if (download) {
    const exported = JSON.parse(readFileSync((await download.path()) ?? '', 'utf8'));
    if (exported?.activities?.length === 3) ok(`console: results download (${download.suggestedFilename()})`);
    else fail('console: the JSON export does not hold the three activities');
  } else {
    fail(`console: no download: ${await console_.locator('.closed-note .status.error').innerText().catch(() => '?')}`);
  }
  await shot(phone, '12-phone-ended');

  // --- Narrow screens (320 px, or 1280 px at 400% zoom) and 200% zoom of a laptop screen.
  for (const [page, name] of [
    [console_, 'console'],
    [presenter, 'presenter'],
  ]) {
    for (const width of [320, 640]) {
      await page.setViewportSize({ width, height: 800 });
      await page.waitForTimeout(100);
      await noHorizontalScroll(page, name);
    }
  }

  const narrow = await open('landing-320', { width: 320, height: 800 });
  await narrow.goto(`${BASE}/`);
  await noHorizontalScroll(narrow, 'landing');
  await shot(narrow, '13-landing-320');
  await console_.setViewportSize({ width: 320, height: 800 });
  await shot(console_, '14-console-320');

  // --- Unknown code.
  const lost = await open('unknown', { width: 360, height: 740 });
  await lost.goto(`${BASE}/j/00000001`);
  await lost.getByRole('heading', { name: 'We could not find this session' }).waitFor();
  await lost.getByRole('link', { name: 'Try another code' }).waitFor();
  ok('unknown code: clear message and a way back');
  await axe(lost, 'unknown code');
} catch (error) {
  fail(`walk stopped: ${error instanceof Error ? error.message : String(error)}`);
  // What every page showed when the walk stopped.
  let n = 0;
  for (const context of browser.contexts()) {
    for (const page of context.pages()) await page.screenshot({ path: `${OUT}failed-${++n}.png`, fullPage: true });
  }
} finally {
  await browser.close();
}

console.log(`\n${problems.length === 0 ? 'All good.' : `${problems.length} problem(s).`} Screenshots in ${OUT}`);
process.exit(problems.length === 0 ? 0 : 1);
