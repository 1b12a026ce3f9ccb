import { describe, expect, it } from 'vitest';

import type { RankingActivity, RankingAggregate } from '../choice/wire';
import { fromRankingDraft, rankingProblems, toRankingDraft } from './draft';
import {
  initialOrder,
  isFullOrder,
  moveBy,
  moveTo,
  moveWords,
  rankChangeWords,
  rankedRows,
  sortRound,
  summariseRanking,
} from './order';

const activity: RankingActivity = {
  id: 'r1',
  kind: 'ranking',
  title: 'What matters most?',
  items: ['Being listened to', 'Clear information', 'Quick decisions'],
  rounds: ['Before', 'After'],
};

// Three people ranked in "Before", two in "After" (Borda: ranked r-th of 3 gets 3 − r).
const data: RankingAggregate = {
  kind: 'ranking',
  items: [
    { text: 'Being listened to', rounds: { Before: { n: 3, mean_rank: 2, points: 3, first: 1 }, After: { n: 2, mean_rank: 1, points: 4, first: 2 } } },
    { text: 'Clear information', rounds: { Before: { n: 3, mean_rank: 1.6667, points: 4, first: 1 }, After: { n: 2, mean_rank: 2, points: 2, first: 0 } } },
    { text: 'Quick decisions', rounds: { Before: { n: 3, mean_rank: 2.3333, points: 2, first: 1 }, After: { n: 2, mean_rank: 3, points: 0, first: 0 } } },
  ],
};

describe('moving items', () => {
  it('moves by one place and not past the ends', () => {
    expect(moveBy([0, 1, 2], 1, -1)).toEqual([1, 0, 2]);
    expect(moveBy([0, 1, 2], 1, 1)).toEqual([0, 2, 1]);
    expect(moveBy([0, 1, 2], 0, -1)).toBeNull();
    expect(moveBy([0, 1, 2], 2, 1)).toBeNull();
  });

  it('drags an item to any place, the others closing up', () => {
    expect(moveTo([0, 1, 2, 3], 3, 0)).toEqual([3, 0, 1, 2]);
    expect(moveTo([0, 1, 2, 3], 0, 2)).toEqual([1, 2, 0, 3]);
    expect(moveTo([0, 1, 2, 3], 1, 99)).toEqual([0, 2, 3, 1]);
  });

  it('keeps every item exactly once', () => {
    let order = initialOrder(5);
    for (const [from, to] of [[0, 4], [3, 1], [2, 2], [4, 0]] as const) order = moveTo(order, from, to);
    expect(isFullOrder(order, 5)).toBe(true);
    expect(isFullOrder([0, 0, 1], 3)).toBe(false);
    expect(isFullOrder([0, 1], 3)).toBe(false);
  });

  it('says where the item went', () => {
    expect(moveWords('Training', 1, 5)).toBe('“Training” is now 2 of 5.');
    expect(moveWords('Training', 0, 5)).toBe('“Training” is now 1 of 5, at the top.');
    expect(moveWords('Training', 4, 5)).toBe('“Training” is now 5 of 5, at the bottom.');
  });
});

describe('results', () => {
  it('order items by mean rank in the round asked', () => {
    expect(rankedRows(activity, data, 'Before').map((r) => r.text)).toEqual([
      'Clear information',
      'Being listened to',
      'Quick decisions',
    ]);
    expect(rankedRows(activity, data, 'After').map((r) => r.item)).toEqual([0, 1, 2]);
  });

  it('use the last answered round when the one asked has no answers', () => {
    const onlyBefore: RankingAggregate = {
      kind: 'ranking',
      items: data.items.map((item) => ({ text: item.text, rounds: { Before: item.rounds.Before } })),
    };
    expect(sortRound(['Before', 'After'], onlyBefore, 'After')).toBe('Before');
    expect(sortRound(['Before', 'After'], data, 'Before')).toBe('Before');
    expect(sortRound([''], { kind: 'ranking', items: [] }, null)).toBe('');
  });

  it('say the change of mean rank as places up or down', () => {
    const rows = rankedRows(activity, data, 'After');
    expect(rankChangeWords(rows[0]!, ['Before', 'After'])).toBe('mean rank 2.0 in Before, 1.0 in After: up 1.0 places');
    expect(rankChangeWords(rows[2]!, ['Before', 'After'])).toBe('mean rank 2.3 in Before, 3.0 in After: down 0.7 places');
  });

  it('summarise the top three', () => {
    expect(summariseRanking(activity, data, 'After')).toBe(
      'After: 2 rankings. 1. Being listened to (mean rank 1.0, first for 2); 2. Clear information (mean rank 2.0, first for 0); 3. Quick decisions (mean rank 3.0, first for 0).',
    );
  });
});

describe('the editor', () => {
  it('round-trips a ranking', () => {
    const draft = toRankingDraft(activity);
    expect(rankingProblems(draft)).toEqual([]);
    expect(fromRankingDraft(draft)).toEqual(activity);
  });

  it('refuses one item, or eleven', () => {
    const one = { ...toRankingDraft(activity), items: ['Only'] };
    expect(rankingProblems(one)).toEqual(['Give at least 2 items.']);
    const many = { ...toRankingDraft(activity), items: Array.from({ length: 11 }, (_, i) => `Item ${i}`) };
    expect(rankingProblems(many)).toEqual(['At most 10 items.']);
  });
});
