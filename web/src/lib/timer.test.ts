import { describe, expect, it } from 'vitest';

import { crossedMilestone, formatRemaining, milestoneText, remainingMs, spokenDuration, startText } from './timer';

describe('countdown', () => {
  it('corrects for the server clock', () => {
    const timer = { seconds: 300, ends_at: 1_000_000 + 300_000, stop_answers: false };
    // This device is 2 s behind the server: offset = server - device = +2000.
    expect(remainingMs(timer, 2000, 1_000_000 - 2000)).toBe(300_000);
    expect(remainingMs(timer, 0, 1_000_000 + 400_000)).toBe(0);
    // An offset a little off (the welcome's own trip) never shows more than the length.
    expect(remainingMs(timer, -50, 1_000_000)).toBe(300_000);
  });

  it('shows minutes and seconds, rounded up', () => {
    expect(formatRemaining(300_000)).toBe('5:00');
    expect(formatRemaining(299_001)).toBe('5:00');
    expect(formatRemaining(299_000)).toBe('4:59');
    expect(formatRemaining(30_000)).toBe('0:30');
    expect(formatRemaining(1)).toBe('0:01');
    expect(formatRemaining(0)).toBe('0:00');
    expect(formatRemaining(1_800_000)).toBe('30:00');
  });

  it('says durations in words', () => {
    expect(spokenDuration(300)).toBe('5 minutes');
    expect(spokenDuration(60)).toBe('1 minute');
    expect(spokenDuration(90)).toBe('1 minute 30 seconds');
    expect(spokenDuration(1)).toBe('1 second');
    expect(spokenDuration(0)).toBe('0 seconds');
  });

  it('is heard at 5 min, 1 min, 30 s and zero only', () => {
    const heard: number[] = [];
    // One reading every quarter second over ten minutes.
    for (let ms = 600_000; ms > -1000; ms -= 250) {
      const mark = crossedMilestone((ms + 250) / 1000, ms / 1000);
      if (mark !== null) heard.push(mark);
    }
    expect(heard).toEqual([300, 60, 30, 0]);
    // A phone that slept through two marks says only the last.
    expect(crossedMilestone(100, 20)).toBe(30);
    expect(crossedMilestone(20, 19)).toBeNull();
  });

  it('words its announcements', () => {
    expect(milestoneText(60, false)).toBe('1 minute left.');
    expect(milestoneText(0, true)).toBe('Time is up. Answers are closed.');
    expect(startText(299.2, false)).toBe('Timer started: 5 minutes.');
    expect(startText(120, true)).toBe('Timer started: 2 minutes. Answers close at zero.');
  });
});
