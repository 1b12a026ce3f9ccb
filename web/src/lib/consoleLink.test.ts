import { describe, expect, it } from 'vitest';

import { consoleLinkFile, slug } from './consoleLink';
import { MAX_KNOWN_SESSIONS, parseSessions, withSession, type KnownSession } from './storage';

describe('the console link file', () => {
  it('is named after the session', () => {
    expect(slug('Co-production training, session 1')).toBe('co-production-training-session-1');
    expect(slug('Café — Été')).toBe('cafe-ete');
    expect(slug('???')).toBe('');
    const file = consoleLinkFile('Training day', '48213377', 'http://x/host/48213377#key=abc');
    expect(file.filename).toBe('chorus-console-training-day-48213377.html');
    expect(consoleLinkFile('', '48213377', 'http://x').filename).toBe('chorus-console-48213377.html');
  });

  it('holds the link, and a title cannot inject markup', () => {
    const file = consoleLinkFile('<script>alert(1)</script> & co', '48213377', 'http://x/host/48213377#key=a"b');
    expect(file.text).toContain('href="http://x/host/48213377#key=a&quot;b"');
    expect(file.text).not.toContain('<script>');
    expect(file.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; co');
    expect(file.text).toContain('4821 3377');
  });
});

describe('my sessions', () => {
  const entry = (code: string, opened_at: number, key = 'k'): KnownSession => ({
    code,
    key,
    title: `S ${code}`,
    created_at: null,
    opened_at,
  });

  it('reads only well-formed entries', () => {
    expect(parseSessions(null)).toEqual([]);
    expect(parseSessions('not json')).toEqual([]);
    expect(parseSessions('{"code":"1"}')).toEqual([]);
    const good = entry('12345678', 5);
    expect(parseSessions(JSON.stringify([good, { code: 'x', key: 'k' }, { ...good, code: '123' }, null]))).toEqual([good]);
  });

  it('keeps one entry per code, last opened first, the newest key winning', () => {
    let list = withSession([], { ...entry('11111111', 1), created_at: 100 });
    list = withSession(list, entry('22222222', 2));
    list = withSession(list, entry('11111111', 3, 'new-key'));
    expect(list.map((e) => e.code)).toEqual(['11111111', '22222222']);
    expect(list[0]).toMatchObject({ key: 'new-key', created_at: 100 });
  });

  it('keeps at most so many', () => {
    let list: KnownSession[] = [];
    for (let i = 0; i < MAX_KNOWN_SESSIONS + 5; i++) list = withSession(list, entry(String(10_000_000 + i), i));
    expect(list).toHaveLength(MAX_KNOWN_SESSIONS);
    expect(list[0]?.code).toBe(String(10_000_000 + MAX_KNOWN_SESSIONS + 4));
  });
});
