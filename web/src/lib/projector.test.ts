import { describe, expect, it } from 'vitest';

import { countdownMoment, describeCountdown, formatCountdown, pageLabel, shownPage, splitPages, timeLeft } from './projector';

describe('projector pages', () => {
  it('keeps everything on one page when it fits', () => {
    expect(splitPages([80, 80, 80, 80], 400, 10)).toEqual([{ start: 0, count: 4 }]);
    expect(splitPages([], 400, 10)).toEqual([{ start: 0, count: 0 }]);
  });

  it('breaks pages where the next row would not fit, counting the gaps', () => {
    // 5 × 80 + 4 × 10 = 440 > 400: four rows on a page.
    expect(splitPages([80, 80, 80, 80, 80, 80, 80, 80], 400, 10)).toEqual([
      { start: 0, count: 4 },
      { start: 4, count: 4 },
    ]);
    // Exactly full: 4 × 91 + 3 × 12 = 400.
    expect(splitPages([91, 91, 91, 91, 91], 400, 12)).toEqual([
      { start: 0, count: 4 },
      { start: 4, count: 1 },
    ]);
  });

  it('gives a row taller than the screen a page of its own rather than dropping it', () => {
    expect(splitPages([50, 900, 50], 400, 0)).toEqual([
      { start: 0, count: 1 },
      { start: 1, count: 1 },
      { start: 2, count: 1 },
    ]);
  });

  it('says which statements are shown', () => {
    expect(pageLabel(0, 5, 8, 'statement')).toBe('Statements 1\u20135 of 8');
    expect(pageLabel(5, 3, 8, 'statement')).toBe('Statements 6\u20138 of 8');
    expect(pageLabel(7, 1, 8, 'statement')).toBe('Statement 8 of 8');
    expect(pageLabel(0, 4, 4, 'statement')).toBe('Statements');
  });

  it('shows the facilitator’s page, or the page turned to', () => {
    expect(shownPage(null, 7, 3)).toBe(1);
    expect(shownPage(undefined, 0, 3)).toBe(0);
    expect(shownPage(2, 7, 3)).toBe(2);
    expect(shownPage(9, 0, 3)).toBe(2);
    expect(shownPage(1, 5, 1)).toBe(0);
  });
});

describe('the countdown', () => {
  it('corrects for the server’s clock', () => {
    // The server's clock is 5 s ahead of this one: 60 s before its end by the server's clock.
    expect(timeLeft(1_000_000, 5_000, 1_000_000 - 65_000)).toBe(60_000);
    expect(timeLeft(1_000_000, 0, 2_000_000)).toBe(0);
  });

  it('reads in minutes and seconds, rounded up', () => {
    expect(formatCountdown(300_000)).toBe('5:00');
    expect(formatCountdown(299_001)).toBe('5:00');
    expect(formatCountdown(299_000)).toBe('4:59');
    expect(formatCountdown(7_000)).toBe('0:07');
    expect(formatCountdown(1)).toBe('0:01');
    expect(formatCountdown(0)).toBe('0:00');
    expect(formatCountdown(1_800_000)).toBe('30:00');
  });

  it('is said aloud at a few moments, not every second', () => {
    expect(describeCountdown(299_000)).toBe('4 minutes 59 seconds left');
    expect(describeCountdown(60_000)).toBe('1 minute left');
    expect(countdownMoment(61, 60)).toBe('1 minute left');
    expect(countdownMoment(60, 59)).toBeNull();
    expect(countdownMoment(31, 29)).toBe('30 seconds left');
    expect(countdownMoment(1, 0)).toBe('Time is up');
    expect(countdownMoment(0, 0)).toBeNull();
    let said = 0;
    for (let s = 600; s > 0; s--) if (countdownMoment(s, s - 1)) said++;
    expect(said).toBe(8);
  });
});
