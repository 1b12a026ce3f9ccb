import { describe, expect, it } from 'vitest';

import { aggregate, scale, stats } from '../../lib/fixtures';
import { sideCell, sidePeople } from './side';

describe("a scale's cell in the side-by-side table", () => {
  it('gives first → last means and the paired change, in words too', () => {
    const cell = sideCell(scale, aggregate.statements[0]);
    expect(cell).toEqual({
      means: '2.2 \u2192 4.2',
      change: '+1.8',
      paired: true,
      spoken: 'Before 2.2, After 4.2, up 1.8 for the 4 who answered both',
    });
  });

  it('falls back to the change of the means when nobody answered both', () => {
    const statement = { text: 's', rounds: { Before: stats([2, 0, 0, 0, 0]), After: stats([0, 0, 2, 0, 0]) }, paired: { n: 0, mean_change: null } };
    expect(sideCell(scale, statement)).toMatchObject({ means: '1.0 \u2192 3.0', change: '+2.0', paired: false });
  });

  it('shows only the rounds answered so far', () => {
    const before = { text: 's', rounds: { Before: stats([0, 0, 3, 0, 0]), After: stats([0, 0, 0, 0, 0]) }, paired: { n: 0, mean_change: null } };
    expect(sideCell(scale, before)).toEqual({ means: '3.0', change: null, paired: false, spoken: 'Before 3.0' });
  });

  it('says a single round as its mean, and nothing answered as a dash', () => {
    const one = { ...scale, rounds: [] };
    expect(sideCell(one, { text: 's', rounds: { Answers: stats([0, 0, 0, 1, 0]) }, paired: null })).toEqual({
      means: '4.0',
      change: null,
      paired: false,
      spoken: 'average 4.0',
    });
    expect(sideCell(scale, undefined)).toMatchObject({ means: '\u2013', spoken: 'no answers yet' });
  });

  it('counts the people of a column by the most answers to a statement', () => {
    expect(sidePeople(aggregate.statements, null)).toBe(5);
    expect(sidePeople(aggregate.statements, 'Before')).toBe(5);
    expect(sidePeople([], null)).toBe(0);
  });
});
