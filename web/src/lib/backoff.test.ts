import { describe, expect, it } from 'vitest';

import { backoffCeiling, backoffDelay } from './backoff';

describe('reconnection backoff', () => {
  it('doubles from half a second up to thirty seconds', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((n) => backoffCeiling(n))).toEqual([
      500, 1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    expect(backoffCeiling(1000)).toBe(30000);
  });

  it('waits a random time between zero and the ceiling (full jitter)', () => {
    expect(backoffDelay(3, () => 0)).toBe(0);
    expect(backoffDelay(3, () => 0.5)).toBe(2000);
    expect(backoffDelay(3, () => 0.999999)).toBeLessThan(4000);
    expect(backoffDelay(20, () => 0.999999)).toBeLessThan(30000);
  });

  it('stays within bounds whatever the attempt', () => {
    for (let attempt = -2; attempt < 50; attempt++) {
      const delay = backoffDelay(attempt);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(30000);
    }
  });

  it('takes other settings', () => {
    expect(backoffCeiling(2, { base: 100, cap: 250 })).toBe(250);
  });
});
