import { describe, expect, it } from 'vitest';

import { choicePeople, choiceSideCell, pointsPeople, pointsSideCell, rankingPeople, rankingSideCell } from './side';
import type { ChoiceAggregate, PointsAggregate, RankingAggregate } from './wire';

const both = { rounds: ['Before', 'After'] };
const one = { rounds: [] as string[] };

describe('side-by-side cells of choice, ranking and points', () => {
  it("gives a choice option's share, and its change in points over rounds", () => {
    const data: ChoiceAggregate = {
      kind: 'choice',
      options: [{ text: 'A', rounds: { Before: { count: 1 }, After: { count: 3 } } }],
      rounds: { Before: { n: 4 }, After: { n: 4 } },
    };
    expect(choiceSideCell(both, data, 0)).toEqual({ main: '25% \u2192 75%', sub: '+50 pts', spoken: 'Before 25%, After 75%, up 50 points' });
    // Only Before answered so far: its share alone.
    const before: ChoiceAggregate = { ...data, rounds: { Before: { n: 4 }, After: { n: 0 } } };
    expect(choiceSideCell(both, before, 0)).toEqual({ main: '25%', sub: null, spoken: 'Before 1 of 4, 25%' });
    const single: ChoiceAggregate = { kind: 'choice', options: [{ text: 'A', rounds: { '': { count: 2 } } }], rounds: { '': { n: 3 } } };
    expect(choiceSideCell(one, single, 0)).toEqual({ main: '67%', sub: null, spoken: '2 of 3, 67%' });
    expect(choiceSideCell(one, null, 0).main).toBe('\u2013');
    expect(choicePeople(data)).toBe(4);
  });

  it("gives a ranking item's average place over rounds", () => {
    const data: RankingAggregate = {
      kind: 'ranking',
      items: [{ text: 'A', rounds: { Before: { n: 5, mean_rank: 2.4, points: 3, first: 1 }, After: { n: 5, mean_rank: 1.6, points: 7, first: 3 } } }],
    };
    expect(rankingSideCell(both, data, 0)).toEqual({ main: '2.4 \u2192 1.6', sub: null, spoken: 'average place 2.4 Before, 1.6 After: up 0.8 places' });
    expect(rankingPeople(data)).toBe(5);
  });

  it("gives a points item's average over rounds, and its change", () => {
    const data: PointsAggregate = {
      kind: 'points',
      items: [{ text: 'A', rounds: { Before: { n: 4, total: 72, mean: 18 }, After: { n: 4, total: 100, mean: 25 } } }],
    };
    expect(pointsSideCell(both, data, 0)).toEqual({ main: '18.0 \u2192 25.0', sub: '+7.0', spoken: 'Before 18.0 points, After 25.0, change +7.0' });
    expect(pointsPeople(data)).toBe(4);
    expect(pointsSideCell(both, { kind: 'points', items: [{ text: 'A', rounds: {} }] }, 0).main).toBe('\u2013');
  });
});
