import { describe, expect, it } from 'vitest';

import { pageLabel, shownPage, splitPages } from './projector';

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
