// The findings report's page and "what we heard" (issue 15), on the real server in real
// browsers: two phones answer a word cloud and a jam board (and a crowd over the WebSocket
// brings them to 150 words and 60 notes); the session closes; the organiser opens the Report
// page from the console, stars quotes, files them under two themes, writes a section, moves
// it with the keyboard, saves and reloads (all kept), publishes "what we heard"; a phone
// that took part sees "See what we heard" and opens the page, which shows the section and
// the quotes and no other answer; the projector shows the summary's QR code; unpublished,
// the address says it is no longer available and the phone's link goes. Screenshots of each
// at its real sizes, axe on each, no sideways scrolling, and 200% zoom.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { OUT, api, bulkParticipants, hostSocket, launchBrowser, openPage, pageProblems, shot, startServer } from './harness.mjs';
import { NARROW, PHONE, fits, joinPhone, noViolations, overflows, walk } from './kinds.mjs';

const TITLE = 'Co-production training day';
const CLOUD = 'What word would you use instead of co-production?';
const BOARD = 'What gets in the way, what works?';

// 150 different entries: two-word phrases, so that stemming folds none of them together.
const ADJECTIVES = ['open', 'shared', 'honest', 'equal', 'early', 'real', 'local', 'joint', 'fair', 'kind'];
const NOUNS = ['listening', 'power', 'voices', 'trust', 'planning', 'decisions', 'respect', 'teamwork', 'design',
  'support', 'choice', 'learning', 'care', 'partnership', 'change'];
const WORDS = ADJECTIVES.flatMap((a) => NOUNS.map((n) => `${a} ${n}`));
const NOTE_STARTS = ['Not enough time for', 'Too much jargon in', 'Good teams around', 'Families listened to in',
  'Money runs out before', 'Meetings at the wrong time for', 'Staff change too often in', 'Trust built slowly through'];
const NOTE_ENDS = ['the planning stage', 'every review meeting we have had this year', 'school transport',
  'the short breaks service', 'housing', 'the annual survey, which nobody reads after it closes', 'health visits',
  'youth clubs'];

let server;
let browser;
let session;
let host;
let console_;
let projector;
let phone;
let narrow;
let report;
let heardUrl;
const pages = [];
const step = walk(it, pages, 'report');

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  host?.close();
  await browser?.close();
  await server?.stop();
});

const star = (page, text) => page.getByRole('button', { name: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) });

describe('the findings report and "what we heard"', () => {
  step('phones answer a word cloud and a jam board; a crowd brings them to 150 words and 60 notes', async () => {
    session = await api(server.url, 'POST', '/api/sessions', {
      title: TITLE,
      agenda: [
        { kind: 'wordcloud', prompt: CLOUD, max_entries: 10, profanity_filter: true, stop_words: [] },
        { kind: 'jamboard', title: BOARD, frames: ['Barriers', 'Successes'], dots: 0, notes_per_participant: 20 },
      ],
    });
    const [cloud, board] = session.agenda.map((a) => a.id);
    host = await hostSocket(server.url, session.code, session.host_key);
    projector = await openPage(browser, 'projector', { viewport: { width: 1280, height: 720 } });
    pages.push(projector);
    await projector.goto(`${server.url}/present/${session.code}#key=${session.present_key}`);
    await projector.getByText('Join on your phone').waitFor();

    phone = await joinPhone(browser, server, session.code, 'phone 390', PHONE);
    narrow = await joinPhone(browser, server, session.code, 'phone 320', NARROW);
    pages.push(phone, narrow);

    assert.equal((await host.send({ type: 'goto', activity: cloud, round: null })).type, 'ack');
    await phone.getByRole('heading', { name: CLOUD }).waitFor();
    await phone.getByLabel('Your word').fill('Listening');
    await phone.getByRole('button', { name: 'Send' }).tap();
    await phone.getByRole('button', { name: 'Delete “Listening”' }).waitFor();
    const words = [];
    for (let i = 0; i < WORDS.length; i += 10) words.push(WORDS.slice(i, i + 10).map((text) => ({ type: 'answer', activity: cloud, text })));
    // Some words twice, so that counts show.
    words.push(WORDS.slice(0, 8).map((text) => ({ type: 'answer', activity: cloud, text })));
    const cloudSent = await bulkParticipants(server.url, session.code, words);
    assert.deepEqual(cloudSent.refused, []);

    assert.equal((await host.send({ type: 'goto', activity: board, round: null })).type, 'ack');
    await phone.getByRole('heading', { name: BOARD }).waitFor();
    await phone.getByLabel('Your note').fill('Nobody explains what happens to our ideas');
    await phone.getByRole('button', { name: 'Post the note' }).tap();
    await narrow.getByRole('heading', { name: BOARD }).waitFor();
    await narrow.getByLabel('Your note').fill('Unstarred note that must stay private');
    await narrow.getByRole('button', { name: 'Post the note' }).tap();
    const notes = [];
    for (let p = 0; p < 6; p++) {
      const person = [];
      for (let i = 0; i < 10; i++) {
        const n = p * 10 + i;
        person.push({
          type: 'note_add',
          activity: board,
          frame: n % 2,
          text: `${NOTE_STARTS[n % NOTE_STARTS.length]} ${NOTE_ENDS[Math.floor(n / NOTE_STARTS.length) % NOTE_ENDS.length]}`,
          color: n % 2 ? 'green' : 'yellow',
        });
      }
      notes.push(person);
    }
    const boardSent = await bulkParticipants(server.url, session.code, notes);
    assert.deepEqual(boardSent.refused, []);

    // While the session runs, its report says the figures are as of now.
    const early = await openPage(browser, 'report while live', { viewport: { width: 1280, height: 720 } });
    await early.goto(`${server.url}/host/${session.code}/report#key=${session.host_key}`);
    await early.getByText('This session is still running: the report’s figures are as of now').waitFor();
    // The organiser stars a word that the facilitator then hides: the server refuses the save
    // with its own words, shown on the page, and keeps nothing of it.
    await star(early, 'fair change').first().click();
    const live = await api(server.url, 'GET', `/api/sessions/${session.code}/report`, undefined, session.host_key);
    const word = live.candidates.find((c) => c.text === 'fair change');
    assert.equal((await host.send({ type: 'hide', activity: cloud, item: word.item, hidden: true })).type, 'ack');
    await early.getByRole('button', { name: 'Save the report' }).click();
    const refusal = early.getByRole('group', { name: 'The report was not saved.' });
    await refusal.getByText('points at a word or note this report does not have (or that is hidden)').waitFor();
    assert.ok(await early.getByText('Unsaved changes').isVisible(), 'the change is still there to fix');
    await noViolations(early, 'report page, a save refused by the server');
    const kept = await api(server.url, 'GET', `/api/sessions/${session.code}/report`, undefined, session.host_key);
    assert.deepEqual(kept.content.quotes, [], 'nothing was saved');
    assert.equal((await host.send({ type: 'hide', activity: cloud, item: word.item, hidden: false })).type, 'ack');
    assert.deepEqual(pageProblems([early]), []);
    await early.context().close();
    // The browser phones' notes are kept before the room closes.
    for (let i = 0; i < 100; i++) {
      const texts = (host.results(board)?.frames ?? []).flatMap((f) => f.notes.map((n) => n.text));
      if (texts.includes('Nobody explains what happens to our ideas') && texts.includes('Unstarred note that must stay private')) break;
      await new Promise((done) => setTimeout(done, 100));
    }
  });

  step('the session closes; the console links to the Report page', async () => {
    assert.equal((await host.send({ type: 'close_session' })).type, 'ack');
    await phone.getByRole('heading', { name: 'This session has ended. Thank you!' }).waitFor();
    assert.equal(await phone.getByRole('link', { name: 'See what we heard' }).count(), 0, 'nothing published yet');
    console_ = await openPage(browser, 'console', { viewport: { width: 1280, height: 720 } });
    pages.push(console_);
    await console_.goto(session.host_url.replace(/^https?:\/\/[^/]+/, server.url));
    await console_.getByRole('heading', { name: TITLE, level: 1 }).waitFor();
    await console_.getByRole('link', { name: 'Write the report' }).click();
    await console_.getByRole('heading', { name: `Report: ${TITLE}`, level: 1 }).waitFor();
    report = console_;
    await report.getByRole('heading', { name: 'Quotes', exact: true }).waitFor();
    assert.match(new URL(report.url()).pathname, new RegExp(`^/host/${session.code}/report$`));
    const candidates = await report.locator('button[aria-pressed]').count();
    assert.equal(candidates, WORDS.length + 1 + 60 + 2, 'every word and note is a candidate');
  });

  step('the organiser stars quotes, files them under two themes and writes a section', async () => {
    await report.getByRole('button', { name: 'Add a theme' }).click();
    await report.getByLabel('Theme 1', { exact: true }).fill('Being heard');
    await report.getByRole('button', { name: 'Add a theme' }).click();
    await report.getByLabel('Theme 2', { exact: true }).fill('Time and money');
    await report.getByLabel('What it means (theme 2)').fill('People want time set aside for this work.');

    for (const text of ['Listening', 'Nobody explains what happens to our ideas', 'honest voices', 'Not enough time for the planning stage']) {
      const button = star(report, text).first();
      await button.click();
      assert.equal(await button.getAttribute('aria-pressed'), 'true', `${text} is starred`);
    }
    await report.getByLabel('Theme for “Listening”').selectOption({ label: 'Being heard' });
    await report.getByLabel('Theme for “Nobody explains what happens to our ideas”').selectOption({ label: 'Being heard' });
    await report.getByLabel('Theme for “honest voices”').selectOption({ label: 'Being heard' });
    await report.getByLabel('Theme for “Not enough time for the planning stage”').selectOption({ label: 'Time and money' });
    assert.ok(await report.getByText('4 of 50 quotes starred').isVisible());

    await report.getByRole('button', { name: 'Add “Why we did it”' }).click();
    await report.locator('#section-text-introduction').fill('We wanted families to shape the short breaks service.');
    assert.equal(await report.getByRole('button', { name: 'Add “Why we did it”' }).count(), 0, 'offered once');
    await report.getByRole('button', { name: 'Add a written section' }).click();
    const title = report.getByLabel('Title of section', { exact: false }).last();
    assert.equal(await title.evaluate((el) => el === document.activeElement), true, 'the new section’s title has the focus');
    await title.fill('What we will do next');
    await report.locator('#section-text-w1').fill('# You said – we are doing\n\n- Meetings after school hours\n- A plain-language glossary <script>x</script>');
    await report.getByText('Unsaved changes').waitFor();
  });

  step('sections move with the keyboard alone, and a section over its limit is not sent', async () => {
    const names = () => report.locator('.section-name').evaluateAll((els) => els.map((el) => el.textContent.replace(/^Section \d+ of \d+: /, '').trim()));
    const before = await names();
    assert.equal(before.at(-1), 'What we will do next');
    const up = report.getByRole('button', { name: 'Move “What we will do next” up' });
    await up.focus();
    await report.keyboard.press('Enter');
    await report.keyboard.press('Enter');
    const after = await names();
    assert.equal(after.at(-3), 'What we will do next', 'moved up two places');
    assert.equal(
      await report.evaluate(() => document.activeElement?.getAttribute('aria-label')),
      'Move “What we will do next” up',
      'the focus stays on the button pressed',
    );
    // Hide a generated section with the keyboard.
    await report.getByRole('checkbox', { name: 'Show “Who took part” in the report' }).focus();
    await report.keyboard.press('Space');
    assert.equal(await report.getByRole('checkbox', { name: 'Show “Who took part” in the report' }).isChecked(), false);
    // A section added by mistake is deleted with the keyboard; the focus stays among the sections.
    await report.getByRole('button', { name: 'Add a written section' }).click();
    await report.locator('#section-title-w2').fill('Mistake');
    await report.getByRole('button', { name: 'Delete “Mistake”' }).focus();
    await report.keyboard.press('Enter');
    assert.equal(await report.locator('#section-title-w2').count(), 0);
    assert.match(await report.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? ''), /^Move “.+” (up|down)$/);
    // A locked section offers no fields.
    assert.ok(await report.getByText('Made from the answers; cannot be edited').first().isVisible());

    const text = report.locator('#section-text-w1');
    const kept = await text.inputValue();
    await text.fill('x'.repeat(20_001));
    await report.getByRole('button', { name: 'Save the report' }).click();
    await report.getByText('The report was not saved.').waitFor();
    assert.ok(await report.getByRole('link', { name: /20,001 characters; the most is 20,000/ }).isVisible());
    await text.fill(kept);
  });

  step('saved, and kept over a reload', async () => {
    // The confirmation itself ("✓ Saved"), not any text with "saved" in it: a text match is
    // case-blind and by part, and "Unsaved changes" did (a read-back that raced the save).
    const put = report.waitForResponse((r) => r.url().endsWith('/report') && r.request().method() === 'PUT');
    await report.getByRole('button', { name: 'Save the report' }).click();
    const answered = await put;
    assert.equal(answered.status(), 200, `the save was refused: ${await answered.text()}`);
    await report.locator('.save-state .status.ok').getByText('Saved').waitFor();
    await report.getByText('Unsaved changes').waitFor({ state: 'detached', timeout: 2000 }).catch(async () => {
      assert.fail(`still unsaved after saving: ${await report.locator('.save-state').evaluate((el) => el.parentElement.outerHTML)}`);
    });
    const saved = await api(server.url, 'GET', `/api/sessions/${session.code}/report`, undefined, session.host_key);
    assert.equal(saved.content.quotes.length, 4);
    assert.deepEqual(saved.content.themes.map((t) => t.title), ['Being heard', 'Time and money']);
    assert.ok(saved.content.sections.some((s) => s.title === 'What we will do next'));

    await report.reload();
    await report.getByRole('heading', { name: 'Quotes', exact: true }).waitFor();
    assert.equal(await report.getByLabel('Theme 1', { exact: true }).inputValue(), 'Being heard');
    assert.equal(await report.locator('#section-title-w1').inputValue(), 'What we will do next');
    assert.equal(await star(report, 'honest voices').first().getAttribute('aria-pressed'), 'true');
    assert.equal(await report.getByLabel('Theme for “Not enough time for the planning stage”').inputValue(), 't2');
    assert.equal(await report.getByRole('checkbox', { name: 'Show “Who took part” in the report' }).isChecked(), false);
    assert.equal(await report.getByText('Unsaved changes').count(), 0);

    for (const size of [{ width: 1280, height: 720 }, { width: 1920, height: 1080 }]) {
      await report.setViewportSize(size);
      await report.waitForTimeout(200);
      await shot(report, `report-page-${size.width}x${size.height}`);
      await report.screenshot({ path: `${OUT}report-page-${size.width}x${size.height}-window.png` });
      await fits(report, `report page ${size.width}`);
    }
    // The sticky save bar never covers what has the focus (WCAG 2.4.11): moving the focus back
    // up the page, by keyboard, scrolls each control clear of the bar.
    await report.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await report.getByRole('button', { name: 'Add a theme' }).focus();
    for (let i = 0; i < 12; i++) {
      await report.keyboard.press('Shift+Tab');
      const { top, barBottom, inBar } = await report.evaluate(() => ({
        top: document.activeElement.getBoundingClientRect().top,
        barBottom: document.querySelector('.save-bar').getBoundingClientRect().bottom,
        inBar: !!document.activeElement.closest('.save-bar'),
      }));
      assert.ok(inBar || top >= barBottom - 1, `focus at ${top}px is under the save bar (to ${barBottom}px)`);
    }
    // 200% zoom of a 1280 px window: the page at 640 CSS pixels.
    await report.setViewportSize({ width: 640, height: 360 });
    await report.waitForTimeout(200);
    await fits(report, 'report page at 200% zoom');
    await report.screenshot({ path: `${OUT}report-page-200pc-window.png` });
    await report.setViewportSize({ width: 1280, height: 720 });
    await noViolations(report, 'report page, quotes picked and saved');
  });

  step('the downloads carry the written section and the themes', async () => {
    const download = report.waitForEvent('download');
    await report.getByRole('button', { name: /^Printable report/ }).click();
    const file = await download;
    const html = await (await import('node:fs/promises')).readFile(await file.path(), 'utf8');
    assert.match(html, /What we will do next/);
    assert.match(html, /Being heard/);
    assert.doesNotMatch(html, /<script>x<\/script>/, 'the organiser’s text is escaped');
    for (const label of [/^Word document \(DOCX\)/, /^PDF/]) {
      const next = report.waitForEvent('download');
      await report.getByRole('button', { name: label }).click();
      assert.ok((await (await next).path()).length > 0);
    }
  });

  step('the series report is its own tab, reached with the arrow keys, and saved apart', async () => {
    await report.getByRole('tab', { name: 'This session' }).focus();
    await report.keyboard.press('ArrowRight');
    const seriesTab = report.getByRole('tab', { name: 'Whole series' });
    assert.equal(await seriesTab.getAttribute('aria-selected'), 'true');
    assert.equal(await seriesTab.evaluate((el) => el === document.activeElement), true);
    const panel = report.getByRole('tabpanel', { name: 'Whole series' });
    await panel.getByRole('heading', { name: 'Quotes', exact: true }).waitFor();
    assert.equal(await panel.getByRole('button', { name: /^honest voices/ }).getAttribute('aria-pressed'), 'false', 'its own picks');
    await panel.getByRole('button', { name: /^kind care/ }).click();
    const put = report.waitForResponse((r) => r.url().endsWith('/series/report') && r.request().method() === 'PUT');
    await panel.getByRole('button', { name: 'Save the series report' }).click();
    const answered = await put;
    const sent = answered.request().postData();
    assert.equal(answered.status(), 200, `the save was refused: ${await answered.text()}`);
    await panel.locator('.save-state .status.ok').getByText('Saved').waitFor();
    const series = await api(server.url, 'GET', `/api/sessions/${session.code}/series/report`, undefined, session.host_key);
    const quoted = series.content.quotes.map((q) =>
      series.candidates.find((c) => c.session === q.session && c.activity === q.activity && c.item === q.item)?.text,
    );
    assert.deepEqual(quoted, ['kind care'], `sent ${sent}; read back ${JSON.stringify(series.content)}`);
    assert.equal(series.content.quotes[0].session, session.code);
    const own = await api(server.url, 'GET', `/api/sessions/${session.code}/report`, undefined, session.host_key);
    assert.equal(own.content.quotes.length, 4, 'the session’s report is untouched');
    await noViolations(report, 'series report tab');
    await report.keyboard.press('ArrowLeft');
    await report.getByRole('tab', { name: 'This session' }).focus();
    await report.keyboard.press('Home');
    assert.equal(await report.getByRole('tab', { name: 'This session' }).getAttribute('aria-selected'), 'true');
  });

  step('"what we heard" is published; a phone that took part sees the link and opens the page', async () => {
    await report.getByRole('checkbox', { name: 'What we will do next', exact: true }).check();
    await report.getByRole('button', { name: 'Publish “what we heard”' }).click();
    const link = report.locator('.published a.url');
    await link.waitFor();
    heardUrl = await link.getAttribute('href');
    assert.match(new URL(heardUrl).pathname, /^\/r\/[A-Za-z0-9_-]{22,}$/);
    await report.setViewportSize({ width: 1280, height: 1000 });
    const card = report.getByRole('region', { name: 'What we heard' });
    await card.evaluate((el) => el.scrollIntoView({ block: 'end' }));
    await report.screenshot({ path: `${OUT}report-publish-card.png`, clip: await card.boundingBox() });
    await report.setViewportSize({ width: 1280, height: 720 });
    await noViolations(report, 'report page, published');

    const seeIt = phone.getByRole('link', { name: 'See what we heard' });
    await seeIt.waitFor();
    await narrow.getByRole('link', { name: 'See what we heard' }).waitFor();
    for (const [page, name] of [[narrow, 'report-phone-link-320'], [phone, 'report-phone-link-390']]) {
      await shot(page, name);
      await fits(page, name);
      await noViolations(page, `${name}`);
      const box = await page.getByRole('link', { name: 'See what we heard' }).boundingBox();
      assert.ok(box && box.height >= 44 && box.width >= 200, `${name}: a large tap target (${JSON.stringify(box)})`);
    }
    // Still there after a reload (the welcome carries it).
    await phone.reload();
    await seeIt.waitFor();
    await seeIt.tap();
    await phone.waitForURL(/\/r\//);
    const body = await phone.locator('body').innerText();
    assert.match(body, /What we will do next/);
    assert.match(body, /We wanted families to shape the short breaks service/);
    assert.match(body, /Nobody explains what happens to our ideas/);
    assert.match(body, /honest voices/);
    assert.doesNotMatch(body, /Unstarred note that must stay private/);
    assert.doesNotMatch(body, /kind teamwork/, 'no unstarred word');
    await shot(phone, 'report-what-we-heard-390');
    await fits(phone, 'what we heard at 390');
    await phone.goBack();
  });

  step('the projector shows the summary’s QR code with its address when the console turns it on', async () => {
    const toggle = report.getByRole('checkbox', { name: 'Show its QR code on the projector' });
    await toggle.check();
    const qr = projector.getByRole('img', { name: 'QR code of the “what we heard” page' });
    await qr.waitFor();
    const address = new URL(heardUrl).host + new URL(heardUrl).pathname;
    await projector.getByText(address).waitFor();
    const svg = await fetch(`${heardUrl}/qr.svg`);
    assert.equal(svg.status, 200);
    for (const size of [{ width: 1024, height: 768 }, { width: 1280, height: 720 }]) {
      await projector.setViewportSize(size);
      await projector.waitForTimeout(300);
      await shot(projector, `report-projector-qr-${size.width}x${size.height}`);
      assert.equal(await overflows(projector), false, `the QR fits ${size.width}×${size.height}`);
      await fits(projector, `projector qr ${size.width}`);
      await noViolations(projector, `projector with the summary QR ${size.width}×${size.height}`);
      const box = await qr.boundingBox();
      assert.ok(box && box.width >= 300, `the QR code is large enough to scan (${box?.width} px)`);
    }
    await toggle.uncheck();
    await qr.waitFor({ state: 'detached' });
  });

  step('unpublished: the address says it is no longer available, and the phones’ link goes', async () => {
    await report.getByRole('button', { name: 'Unpublish…' }).click();
    await report.getByRole('dialog').getByRole('button', { name: 'Unpublish', exact: true }).click();
    await report.getByRole('button', { name: 'Publish “what we heard”' }).waitFor();
    await narrow.getByRole('link', { name: 'See what we heard' }).waitFor({ state: 'detached' });
    const gone = await fetch(heardUrl);
    assert.equal(gone.status, 410);
    await phone.goto(heardUrl);
    assert.match(await phone.locator('body').innerText(), /taken (this summary )?down/i);
    await shot(phone, 'report-what-we-heard-gone-390');
  });

  step('no page had a script error, a CSP violation or a dialog it did not expect', async () => {
    assert.deepEqual(pageProblems(pages), []);
  });
});
