// What the e2e tests of the one-message kinds (choice.test.mjs, ranking.test.mjs,
// points.test.mjs) share: a session built on the front page with the kind's editor, its
// console, its projector and phones, each a real browser page on the real server.

import assert from 'node:assert/strict';

import { OUT, axe, openPage, scrollsSideways, shot, widest } from './harness.mjs';

export const NARROW = { width: 320, height: 640 };
export const PHONE = { width: 390, height: 844 };
export const CONSOLE = { width: 1280, height: 860 };
export const PROJECTORS = [
  { width: 1024, height: 768 },
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
];

export async function noViolations(page, state) {
  assert.deepEqual(await axe(page, state), [], `axe-core found WCAG problems in ${state}`);
}

export async function fits(page, name) {
  if (await scrollsSideways(page)) {
    await shot(page, `${name}-failed`);
    assert.fail(`${name} scrolls sideways: ${(await widest(page)).join('; ')}`);
  }
}

/** Whether the page is taller than its window (a projector must not need scrolling). */
export async function overflows(page) {
  return page.evaluate(() => document.documentElement.scrollHeight > window.innerHeight + 1);
}

/**
 * Builds a session on the front page: its title, the kind's activity in place of the first
 * scale (`fill` fills the kind's card), created. Returns the console's and projector's
 * addresses and the session's code.
 */
export async function buildOnFrontPage(browser, server, { title, addLabel, fill }) {
  const landing = await openPage(browser, 'front page', { viewport: CONSOLE });
  await landing.goto(`${server.url}/`);
  await landing.getByLabel('Session title').fill(title);
  await landing.getByRole('button', { name: addLabel }).click();
  await landing.getByRole('button', { name: 'Remove activity 1' }).click();
  const card = landing.locator('fieldset.editor-card').first();
  await fill(card, landing);
  await noViolations(landing, `front page, ${addLabel.toLowerCase()} filled in`);
  await shot(landing, `${addLabel.replace(/\W+/g, '-').toLowerCase()}-editor`);
  await landing.getByRole('button', { name: 'Create the session' }).click();
  try {
    await landing.getByRole('heading', { name: 'Your session is ready' }).waitFor();
  } catch (error) {
    await shot(landing, `${addLabel.replace(/\W+/g, '-').toLowerCase()}-not-created-failed`);
    throw error;
  }
  const hostUrl = await landing.getByRole('link', { name: /\/host\// }).getAttribute('href');
  const presentUrl = await landing.getByRole('link', { name: /\/present\// }).getAttribute('href');
  const code = /\/host\/(\d{8})#/.exec(hostUrl)[1];
  const local = (url) => url.replace(/^https?:\/\/[^/]+/, server.url);
  return { landing, hostUrl: local(hostUrl), presentUrl: local(presentUrl), code };
}

/** Fills a list of options or items in an editor card: adds lines until there are enough. */
export async function fillLines(card, one, texts) {
  const name = `${one[0].toUpperCase()}${one.slice(1)}`;
  for (let i = 0; i < texts.length; i++) {
    const field = card.getByLabel(`${name} ${i + 1}`, { exact: true });
    if ((await field.count()) === 0) await card.getByRole('button', { name: `Add an ${one}` }).click();
    await field.fill(texts[i]);
  }
}

/** A phone that has joined and waits for the facilitator. */
export async function joinPhone(browser, server, code, name, viewport) {
  const phone = await openPage(browser, name, { viewport, isMobile: true, hasTouch: true });
  await phone.goto(`${server.url}/j/${code}`);
  await phone.getByRole('heading', { name: 'Waiting for the facilitator…' }).waitFor();
  return phone;
}

/** The console shows results on the projector (if it does not already). */
export async function showOnProjector(console_) {
  const show = console_.getByRole('button', { name: 'Show on the projector' });
  if (await show.count()) await show.click();
  await console_.getByText('Results on the projector: showing (live)').waitFor();
}

/** The projector at each size: no scrolling, nothing for axe, a screenshot. */
export async function projectorAtEverySize(projector, name) {
  for (const size of PROJECTORS) {
    await projector.setViewportSize(size);
    await projector.waitForTimeout(400);
    await shot(projector, `${name}-projector-${size.width}x${size.height}`);
    assert.equal(await overflows(projector), false, `${name}: the projector at ${size.width}×${size.height} needs scrolling`);
    await fits(projector, `${name}-projector-${size.width}`);
    await noViolations(projector, `${name} projector ${size.width}×${size.height}`);
  }
}

/**
 * The steps of one walk through a kind: once a step fails the later ones are skipped (they
 * would fail for that reason), and every open page is photographed.
 */
export function walk(it, pages, name) {
  let broken = null;
  return (title, fn, { timeout = 90_000 } = {}) =>
    it(title, { timeout }, async (t) => {
      if (broken) {
        t.skip(`an earlier step failed (${broken})`);
        return;
      }
      try {
        await fn(t);
      } catch (error) {
        broken = title;
        let n = 0;
        for (const page of pages) await page.screenshot({ path: `${OUT}${name}-failed-${++n}.png`, fullPage: true }).catch(() => {});
        throw error;
      }
    });
}
