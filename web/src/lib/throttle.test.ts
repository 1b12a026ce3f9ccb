import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Throttle } from './throttle';

describe('throttled announcements', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('says the first text at once and the latest one after the interval', () => {
    const said: string[] = [];
    const throttle = new Throttle(10_000, (text) => said.push(text));
    throttle.push('one');
    throttle.push('two');
    throttle.push('three');
    expect(said).toEqual(['one']);
    vi.advanceTimersByTime(9_999);
    expect(said).toEqual(['one']);
    vi.advanceTimersByTime(1);
    expect(said).toEqual(['one', 'three']);
  });

  it('does not repeat itself', () => {
    const said: string[] = [];
    const throttle = new Throttle(1_000, (text) => said.push(text));
    throttle.push('same');
    vi.advanceTimersByTime(5_000);
    throttle.push('same');
    expect(said).toEqual(['same']);
    // A change undone before it could be said is not said either.
    throttle.push('other');
    expect(said).toEqual(['same', 'other']);
    throttle.push('changed');
    throttle.push('other');
    vi.advanceTimersByTime(5_000);
    expect(said).toEqual(['same', 'other']);
  });

  it('speaks again at once after a quiet interval', () => {
    const said: string[] = [];
    const throttle = new Throttle(1_000, (text) => said.push(text));
    throttle.push('a');
    vi.advanceTimersByTime(2_000);
    throttle.push('b');
    expect(said).toEqual(['a', 'b']);
  });

  it('forgets a waiting text when cancelled', () => {
    const said: string[] = [];
    const throttle = new Throttle(1_000, (text) => said.push(text));
    throttle.push('a');
    throttle.push('b');
    throttle.cancel();
    vi.advanceTimersByTime(5_000);
    expect(said).toEqual(['a']);
  });
});
