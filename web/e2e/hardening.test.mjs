// The console under pressure (reliability promises 14 and 19): a title as long as one may be,
// with no space to break at, stays inside the header at every width; and a session filled by
// people who never answered is emptied of them with one confirmed button.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { LAPTOP, PHONE, api, axe, bulkParticipants, launchBrowser, openPage, pageProblems, scrollsSideways, shot, startServer, widest } from './harness.mjs';

describe('the console under pressure', () => {
  let server;
  let browser;
  let created;
  const pages = [];
  // The longest title the server takes (200 characters), one word.
  const title = `Co-production${'x'.repeat(187)}`;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    created = await api(server.url, 'POST', '/api/sessions', {
      title,
      agenda: [{ kind: 'scale', statements: ['I understand the term co-production'] }],
    });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('a long title without spaces wraps in the header, on a laptop and on a phone', async () => {
    for (const viewport of [LAPTOP, { ...PHONE, width: 320 }]) {
      const page = await openPage(browser, `console ${viewport.width}`, { viewport });
      pages.push(page);
      await page.goto(created.host_url);
      // The console says "Session <code>" until its welcome brings the title.
      const heading = page.getByRole('heading', { level: 1, name: title });
      await heading.waitFor();
      assert.equal(await heading.textContent(), title);
      assert.ok(!(await scrollsSideways(page)), `the console scrolls sideways at ${viewport.width} px: ${await widest(page)}`);
      const box = await heading.boundingBox();
      assert.ok(box && box.x + box.width <= viewport.width, `the title ends at ${box && box.x + box.width} px`);
      await shot(page, `50-long-title-${viewport.width}`);
    }
  });

  it('the console removes people who joined and never answered, and frees their places', async () => {
    const page = pages[0];
    // Ten phones join and say nothing.
    const silent = Array.from({ length: 10 }, () => []);
    await bulkParticipants(server.url, created.code, silent);
    await page.getByRole('button', { name: 'Remove people who have not answered' }).waitFor();
    const host = page.getByRole('region', { name: 'People' });
    const joined = async () => Number(await host.locator('.count').first().textContent());
    await page.waitForFunction(() => document.querySelector('.counts .count')?.textContent === '10');
    assert.equal(await joined(), 10);
    await page.getByRole('button', { name: 'Remove people who have not answered' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove everyone who has not answered?' });
    await dialog.waitFor();
    assert.deepEqual(await axe(page, 'the remove dialog'), []);
    await dialog.getByRole('button', { name: 'Remove them' }).click();
    await page.getByText('Removed').first().waitFor();
    await page.waitForFunction(() => document.querySelector('.counts .count')?.textContent === '0');
    const session = await api(server.url, 'GET', `/api/sessions/${created.code}`, undefined, created.host_key);
    assert.equal(session.participants, 0);
    assert.deepEqual(await axe(page, 'the console after removing'), []);
    assert.deepEqual(pageProblems(pages), []);
  });
});
