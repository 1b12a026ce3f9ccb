import { describe, expect, it } from 'vitest';

import { keyFromHash, parseRoute, paths, shortUrl } from './routes';

describe('routes', () => {
  it('reads each page from the path', () => {
    expect(parseRoute('/')).toEqual({ page: 'landing' });
    expect(parseRoute('')).toEqual({ page: 'landing' });
    expect(parseRoute('/j/48213377')).toEqual({ page: 'participant', code: '48213377' });
    expect(parseRoute('/j/48213377/')).toEqual({ page: 'participant', code: '48213377' });
    expect(parseRoute('/host/48213377')).toEqual({ page: 'console', code: '48213377' });
    expect(parseRoute('/present/48213377')).toEqual({ page: 'presenter', code: '48213377' });
    expect(parseRoute('/host/48213377/report')).toEqual({ page: 'report', code: '48213377' });
    expect(parseRoute('/host/48213377/report/')).toEqual({ page: 'report', code: '48213377' });
  });

  it('sends anything else to the missing page', () => {
    expect(parseRoute('/j/1234')).toEqual({ page: 'missing' });
    expect(parseRoute('/j/48213377/extra')).toEqual({ page: 'missing' });
    expect(parseRoute('/admin')).toEqual({ page: 'missing' });
    expect(parseRoute('/host/1234/report')).toEqual({ page: 'missing' });
    expect(parseRoute('/j/48213377/report')).toEqual({ page: 'missing' });
  });

  it('reads the key from the fragment', () => {
    expect(keyFromHash('#key=abc123')).toBe('abc123');
    expect(keyFromHash('key=abc123')).toBe('abc123');
    expect(keyFromHash('#other=1&key=k')).toBe('k');
    expect(keyFromHash('')).toBeNull();
    expect(keyFromHash('#key=')).toBeNull();
  });

  it('puts keys in the fragment only', () => {
    expect(paths.presenter('48213377', 'p k')).toBe('/present/48213377#key=p%20k');
    expect(paths.console('48213377', 'k')).toBe('/host/48213377#key=k');
    expect(paths.report('48213377', 'k/1')).toBe('/host/48213377/report#key=k%2F1');
    expect(paths.qr('48213377')).toBe('/api/sessions/48213377/qr.svg');
  });

  it('shortens a link for big print', () => {
    expect(shortUrl('https://polls.example.org/j/48213377')).toBe('polls.example.org/j/48213377');
    expect(shortUrl('http://192.168.1.20:8080/j/1')).toBe('192.168.1.20:8080/j/1');
  });
});
