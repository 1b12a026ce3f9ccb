// "What we heard", the page the organiser publishes for the people who took part (issue 15),
// in the real browser: rendered by the server with no script, it passes axe-core's WCAG 2.x
// A/AA rules on a 320 px phone and on a laptop, reflows at 320 px (only a data table may
// scroll, inside its own box), keeps its headings and lists for a screen reader, prints, and
// its "taken down" page (410) passes too. The organiser's markup is text.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { LAPTOP, api, axe, bulkParticipants, hostSocket, launchBrowser, openPage, pageProblems, shot, startServer } from './harness.mjs';

const AGENDA = [
  {
    kind: 'scale',
    title: 'How do you feel about co-production?',
    statements: ['I understand the term co-production', 'My colleagues understand how to use co-production'],
    min: 1,
    max: 5,
    labels: { min: 'Not at all', max: 'Completely' },
    rounds: ['Before', 'After'],
  },
  { kind: 'jamboard', title: 'What gets in the way?', frames: ['Barriers', 'Successes'], dots: 0, notes_per_participant: 2 },
];

describe('what we heard', () => {
  let server;
  let browser;
  let url;
  let code;
  let hostKey;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    const created = await api(server.url, 'POST', '/api/sessions', { title: 'Co-production training', agenda: AGENDA });
    ({ code, host_key: hostKey } = created);
    const [scale, board] = created.agenda.map((activity) => activity.id);
    const host = await hostSocket(server.url, code, hostKey);
    await host.send({ type: 'goto', activity: scale, round: 'Before' });
    const rate = (round, values) =>
      values.map((value) => [0, 1].map((statement) => ({ type: 'answer', activity: scale, round, statement, value })));
    await bulkParticipants(server.url, code, rate('Before', [1, 2, 2, 3]));
    await host.send({ type: 'goto', activity: board });
    await bulkParticipants(server.url, code, [
      [{ type: 'note_add', activity: board, frame: 0, text: 'Not enough time', color: 'yellow' }],
      [{ type: 'note_add', activity: board, frame: 1, text: 'Parents felt heard', color: 'green' }],
    ]);
    await host.send({ type: 'close_session' });
    host.close();
    const report = await api(server.url, 'GET', `/api/sessions/${code}/report`, undefined, hostKey);
    const note = report.candidates.find((candidate) => candidate.text === 'Not enough time');
    await api(
      server.url,
      'PUT',
      `/api/sessions/${code}/report`,
      {
        sections: [
          {
            id: 'introduction',
            title: 'Why we did it <script>window.__pwned = 1</script>',
            text: '# What we wanted\nTo hear from parents and staff.\n\n- Four workshops\n- <b>Everyone</b> welcome',
          },
          { id: 'activities' },
          { id: 'themes' },
          { id: 'next_steps', title: 'You said – we are doing', text: '- We will meet monthly\n- We will pay for cover' },
        ],
        themes: [{ id: 'time', title: 'Time', text: 'Staff need time to take part.' }],
        quotes: [{ session: code, activity: note.activity, item: note.item, theme: 'time' }],
      },
      hostKey,
    );
    ({ url } = await api(
      server.url,
      'POST',
      `/api/sessions/${code}/summary`,
      { sections: ['introduction', 'activities', 'themes', 'next_steps'] },
      hostKey,
    ));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('is accessible and reflows on a 320 px phone, with headings, lists and the quote', async () => {
    const phone = await openPage(browser, 'phone 320', { viewport: { width: 320, height: 640 } });
    const response = await phone.goto(`${server.url}${url}`);
    assert.equal(response.status(), 200);
    assert.deepEqual(await axe(phone, 'what we heard, 320 px'), []);
    // Nothing but a data table's own box is wider than the screen: the page itself does not
    // scroll sideways.
    const sideways = await phone.evaluate(() => {
      const width = document.documentElement.clientWidth;
      return [...document.querySelectorAll('main > *')]
        .filter((element) => element.getBoundingClientRect().right > width + 1)
        .map((element) => element.tagName.toLowerCase());
    });
    assert.deepEqual(sideways, []);
    assert.equal(
      await phone.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1),
      true,
    );
    const headings = await phone.locator('h1, h2, h3').allInnerTexts();
    assert.deepEqual(headings.slice(0, 3), ['Co-production training', 'Why we did it <script>window.__pwned = 1</script>', 'What we wanted']);
    assert.ok(headings.includes('Time') && headings.includes('You said – we are doing'), headings.join(' | '));
    assert.equal(await phone.locator('li', { hasText: '“Not enough time”' }).count(), 1, 'the starred quote');
    assert.equal(await phone.getByText('Parents felt heard').count(), 0, 'a note not starred is not shown');
    assert.equal(await phone.locator('script').count(), 0);
    assert.equal(await phone.evaluate(() => window.__pwned), undefined);
    assert.equal(await phone.locator('li', { hasText: '<b>Everyone</b> welcome' }).count(), 1, 'markup as text');
    await shot(phone, 'summary-phone-320');
    // Printing: the print style sheet applies, and nothing is cut off at A4 width.
    await phone.emulateMedia({ media: 'print' });
    assert.deepEqual(await axe(phone, 'what we heard, print'), []);
    assert.deepEqual(pageProblems([phone]), []);
  });

  it('is accessible on a laptop, and says plainly when it has been taken down', async () => {
    const laptop = await openPage(browser, 'laptop', { viewport: LAPTOP });
    assert.equal((await laptop.goto(`${server.url}${url}`)).status(), 200);
    assert.deepEqual(await axe(laptop, 'what we heard, laptop'), []);
    await api(server.url, 'DELETE', `/api/sessions/${code}/summary`, undefined, hostKey);
    assert.equal((await laptop.goto(`${server.url}${url}`)).status(), 410);
    assert.equal(await laptop.locator('h1').innerText(), 'This page has been taken down');
    assert.deepEqual(await axe(laptop, 'taken down'), []);
    assert.equal((await laptop.goto(`${server.url}/r/nothing-here`)).status(), 404);
    assert.deepEqual(await axe(laptop, 'not found'), []);
    assert.deepEqual(pageProblems([laptop]), []);
  });
});
