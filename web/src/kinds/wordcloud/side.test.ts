import { describe, expect, it } from 'vitest';

import type { WordCloudAggregate } from '../../lib/protocol';
import { sideCounts, sideWords } from './side';

const entry = (text: string, count: number, hidden = false) => ({ id: text, text, count, hidden });
const total: WordCloudAggregate = {
  entries: [entry('trust', 3), entry('Partnership', 7), entry('secret', 9, true), entry('equal', 3)],
  total: 13,
  groups: 3,
  participants: 6,
};

describe("a word cloud's side-by-side rows", () => {
  it("takes everyone's most named words, hidden ones left out", () => {
    expect(sideWords(total, 2)).toEqual(['Partnership', 'equal']);
    expect(sideWords(null, 8)).toEqual([]);
  });

  it("counts each group's mentions of those words, in any case, 0 where it named none", () => {
    const parents: WordCloudAggregate = { entries: [entry('partnership', 4), entry('secret', 2, true)], total: 4, groups: 1, participants: 3 };
    expect(sideCounts(['Partnership', 'equal', 'secret'], parents)).toEqual([
      { main: '4', sub: null, spoken: 'Partnership: 4 times' },
      { main: '0', sub: null, spoken: 'equal: 0 times' },
      { main: '0', sub: null, spoken: 'secret: 0 times' },
    ]);
  });
});
