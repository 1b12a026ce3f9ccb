import { describe, expect, it } from 'vitest';

import type { PointsActivity, PointsAggregate } from '../choice/wire';
import { leftText, parsePoints, pointsProblem, pointsRows, step, stepOf, summarisePoints } from './budget';
import { fromPointsDraft, pointsProblems, toPointsDraft } from './draft';

const activity: PointsActivity = {
  id: 'p1',
  kind: 'points',
  title: 'Spend 100 points',
  items: ['Training', 'Short breaks', 'Transport'],
  budget: 100,
  rounds: ['Before', 'After'],
};

const data: PointsAggregate = {
  kind: 'points',
  items: [
    { text: 'Training', rounds: { Before: { n: 2, total: 120, mean: 60 }, After: { n: 2, total: 60, mean: 30 } } },
    { text: 'Short breaks', rounds: { Before: { n: 2, total: 50, mean: 25 }, After: { n: 2, total: 100, mean: 50 } } },
    { text: 'Transport', rounds: { Before: { n: 2, total: 30, mean: 15 }, After: { n: 2, total: 40, mean: 20 } } },
  ],
};

describe('the budget on the phone', () => {
  it('steps by a twentieth of the budget', () => {
    expect(stepOf(100)).toBe(5);
    expect(stepOf(1000)).toBe(50);
    expect(stepOf(10)).toBe(1);
  });

  it('never goes over: a step past the budget gives what is left, then is refused', () => {
    expect(step([50, 45, 0], 2, 10, 100)).toEqual({ points: [50, 45, 5], refused: false });
    expect(step([50, 50, 0], 2, 10, 100)).toEqual({ points: [50, 50, 0], refused: true });
  });

  it('never goes below 0', () => {
    expect(step([3, 0], 0, -5, 100)).toEqual({ points: [0, 0], refused: false });
  });

  it('takes whole numbers from 0 only', () => {
    expect(parsePoints(' 40 ')).toBe(40);
    expect(parsePoints('0')).toBe(0);
    expect(parsePoints('2.5')).toBeNull();
    expect(parsePoints('-3')).toBeNull();
    expect(parsePoints('')).toBeNull();
    expect(parsePoints('1e3')).toBeNull();
  });

  it('says what is left, and what is over', () => {
    expect(leftText([30, 30], 100)).toBe('40 points left of 100');
    expect(leftText([99], 100)).toBe('1 point left of 100');
    expect(leftText([60, 40], 100)).toBe('All 100 points given');
    expect(leftText([80, 40], 100)).toBe('20 points over the budget of 100');
  });

  it('refuses to send over the budget, nothing, or a fraction', () => {
    expect(pointsProblem([80, 40], 100)).toBe('That is 20 points over the budget of 100. Take some off first.');
    expect(pointsProblem([0, 0], 100)).toBe('Give some points first.');
    expect(pointsProblem([0.5, 0], 100)).toBe('Points are whole numbers, 0 or more.');
    expect(pointsProblem([60, 40], 100)).toBeNull();
    expect(pointsProblem([10, 0], 100)).toBeNull();
  });
});

describe('results', () => {
  it('draw totals to scale with the largest, the mean beside, and the change of the mean', () => {
    const rows = pointsRows(activity, data, 'After');
    expect(rows[0]?.lines.map((l) => [l.round, l.fraction, l.value, l.current])).toEqual([
      ['Before', 1, '120 · 60.0 each', false],
      ['After', 0.5, '60 · 30.0 each', true],
    ]);
    expect(rows[0]?.change).toEqual({ text: '\u221230.0', words: 'mean down 30.0' });
    expect(rows[1]?.change).toEqual({ text: '+25.0', words: 'mean up 25.0' });
  });

  it('summarise the items with most points', () => {
    expect(summarisePoints(activity, data, 'Before')).toBe(
      'Before: 2 people gave points. Most: Training 120 (mean 60.0), Short breaks 50 (mean 25.0), Transport 30 (mean 15.0).',
    );
  });
});

describe('the editor', () => {
  it('round-trips points', () => {
    const draft = toPointsDraft(activity);
    expect(pointsProblems(draft)).toEqual([]);
    expect(fromPointsDraft(draft)).toEqual(activity);
  });

  it('keeps the budget between 10 and 1,000', () => {
    expect(pointsProblems({ ...toPointsDraft(activity), budget: 5 })).toEqual([
      'The points to spread must be a whole number from 10 to 1000.',
    ]);
    expect(pointsProblems({ ...toPointsDraft(activity), budget: 1001 })).toHaveLength(1);
  });
});
