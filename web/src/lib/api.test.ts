import { afterEach, describe, expect, it, vi } from 'vitest';

import { dispositionName, getReport, publishSummary, putReport, statusMessage, unpublishSummary } from './api';

describe('downloads', () => {
  it('takes the file name the server gives, when it is a plain one', () => {
    expect(dispositionName('attachment; filename="chorus-48213377.xlsx"')).toBe('chorus-48213377.xlsx');
    expect(dispositionName('attachment; filename=chorus-series-48213377.csv')).toBe('chorus-series-48213377.csv');
    expect(dispositionName(null)).toBeNull();
    expect(dispositionName('attachment')).toBeNull();
    expect(dispositionName('attachment; filename="../../etc/passwd"')).toBeNull();
    expect(dispositionName('attachment; filename="a b.html"')).toBeNull();
  });

  it('explains a status the server did not', () => {
    expect(statusMessage(401)).toMatch(/key/);
    expect(statusMessage(404)).toMatch(/no session/);
  });
});

describe('the report’s requests', () => {
  afterEach(() => vi.unstubAllGlobals());

  function recordFetch(status: number, body: unknown) {
    const calls: { url: string; init: RequestInit }[] = [];
    vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(body === null ? null : JSON.stringify(body), { status });
    });
    return calls;
  }

  const content = { sections: [{ id: 'themes', hidden: false }], themes: [], quotes: [] };

  it('reads and saves a session’s report or its series’, with the host key', async () => {
    const calls = recordFetch(200, { content, candidates: [], state: 'closed' });
    await getReport('48213377', 'k', 'session');
    await putReport('48213377', 'k', 'series', content);
    expect(calls.map((c) => [c.init.method, c.url])).toEqual([
      ['GET', '/api/sessions/48213377/report'],
      ['PUT', '/api/sessions/48213377/series/report'],
    ]);
    expect((calls[0]!.init.headers as Record<string, string>)['Authorization']).toBe('Bearer k');
    // A GET has no body and says no Content-Type; a PUT sends the content as JSON.
    expect(calls[0]!.init.body).toBeUndefined();
    expect((calls[0]!.init.headers as Record<string, string>)['Content-Type']).toBeUndefined();
    expect(JSON.parse(calls[1]!.init.body as string)).toEqual(content);
  });

  it('publishes and unpublishes "what we heard"', async () => {
    let calls = recordFetch(201, { url: '/r/48213377abc' });
    expect(await publishSummary('48213377', 'k', ['themes'])).toEqual({ url: '/r/48213377abc' });
    expect([calls[0]!.init.method, calls[0]!.url, calls[0]!.init.body]).toEqual([
      'POST',
      '/api/sessions/48213377/summary',
      '{"sections":["themes"]}',
    ]);
    calls = recordFetch(204, null);
    expect(await unpublishSummary('48213377', 'k')).toBeNull();
    expect([calls[0]!.init.method, calls[0]!.url]).toEqual(['DELETE', '/api/sessions/48213377/summary']);
  });

  it('turns a refusal into the server’s code and words', async () => {
    recordFetch(400, { error: 'too_long', message: 'Section 2’s text is too long.' });
    await expect(putReport('48213377', 'k', 'session', content)).rejects.toMatchObject({
      status: 400,
      code: 'too_long',
      message: 'Section 2’s text is too long.',
    });
  });
});
