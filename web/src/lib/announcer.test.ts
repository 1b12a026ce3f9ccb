import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Announcer, FLIP_MS } from './announcer.svelte';

/** Every text the region held, in order, as a screen reader would meet them. */
function watch(announcer: Announcer, steps: number): string[] {
  const seen: string[] = [];
  let last = announcer.region.text;
  for (let i = 0; i < steps; i++) {
    vi.advanceTimersByTime(FLIP_MS / 2);
    const text = announcer.region.text;
    if (text && text !== last) seen.push(text);
    last = text;
  }
  return seen;
}

describe('the announcer', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('says a message after emptying the region', () => {
    const announcer = new Announcer();
    announcer.say('Answer saved.');
    expect(announcer.region.text).toBe('');
    vi.advanceTimersByTime(FLIP_MS);
    expect(announcer.region.text).toBe('Answer saved.');
  });

  it('says two messages given at once both, in order', () => {
    // The timer reaching zero on the phone while the server's "answers closed" arrives.
    const announcer = new Announcer();
    announcer.say('Time is up. Answers are closed.');
    vi.advanceTimersByTime(FLIP_MS / 4);
    announcer.say('Answers are closed for now.');
    expect(watch(announcer, 12)).toEqual(['Time is up. Answers are closed.', 'Answers are closed for now.']);
  });

  it('says the same words twice, twice', () => {
    const announcer = new Announcer();
    announcer.say('Answer saved.');
    announcer.say('Answer saved.');
    expect(watch(announcer, 12)).toEqual(['Answer saved.', 'Answer saved.']);
  });

  it('says nothing more once disposed', () => {
    const announcer = new Announcer();
    announcer.say('Answer saved.');
    announcer.dispose();
    vi.advanceTimersByTime(FLIP_MS * 4);
    expect(announcer.region.text).toBe('');
  });
});
