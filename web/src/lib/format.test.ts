import { describe, expect, it } from 'vitest';

import { aggregate, board, cloud, notes, scale, stats, words } from './fixtures';
import { summariseBoard } from '../kinds/jamboard/format';
import { summariseResults } from '../kinds/registry';
import {
  describeRound,
  emptyAggregate,
  meanChange,
  orderedRounds,
  pointLabel,
  scalePoints,
  shares,
  summariseScale,
} from '../kinds/scale/format';
import { cloudTotals, summariseCloud, visibleEntries } from '../kinds/wordcloud/format';
import { describeChange, formatChange, formatMean, plural, roundHalfAway } from './format';

describe('result formatting', () => {
  it('shows means with one decimal', () => {
    expect(formatMean(3.2)).toBe('3.2');
    expect(formatMean(3)).toBe('3.0');
    expect(formatMean(4.449)).toBe('4.4');
    expect(formatMean(null)).toBe('\u2013');
    expect(formatMean(Number.NaN)).toBe('\u2013');
  });

  it('rounds halves away from zero, by the decimal people read (one rule everywhere)', () => {
    // Exact halves in binary.
    expect(formatMean(2.25)).toBe('2.3');
    expect(formatMean(0.25)).toBe('0.3');
    expect(formatChange(-2.25)).toBe('\u22122.3');
    // Halves that binary stores a hair below: 1.15 is 1.149999…, 0.35 is 0.34999…
    expect(formatMean(1.15)).toBe('1.2');
    expect(formatMean(2.35)).toBe('2.4');
    expect(formatMean(0.05)).toBe('0.1');
    expect(formatMean(4.35)).toBe('4.4');
    expect(formatChange(-1.15)).toBe('\u22121.2');
    expect(formatChange(0.05)).toBe('+0.1');
    expect(formatChange(-0.05)).toBe('\u22120.1');
    // A mean as the server computes it: 23 / 20 and 9 / 4.
    expect(formatMean(23 / 20)).toBe('1.2');
    expect(formatMean(9 / 4)).toBe('2.3');
    // Sums that land a hair off a half: 2.675-type values and differences of means.
    expect(formatMean(2.675)).toBe('2.7');
    expect(formatChange(3.4 - 2.25)).toBe('+1.2');
    expect(formatChange(0.1 + 0.2 - 0.25)).toBe('+0.1');
    // Taken to four decimals first, as the spreadsheet stores them (and the server's reports
    // round): 1.14999 is 1.1500 there, so 1.2; 2.2499 stays below the half.
    expect(formatMean(2.2499)).toBe('2.2');
    expect(formatMean(1.14999)).toBe('1.2');
    expect(formatMean(2.24996)).toBe('2.3');
    expect(formatMean(2.24994)).toBe('2.2');
    expect(formatMean(4.449)).toBe('4.4');
    expect(roundHalfAway(-0.04)).toBe(0);
    expect(Object.is(roundHalfAway(-0.04), -0)).toBe(false);
    expect(roundHalfAway(-2.25)).toBe(-2.3);
    expect(roundHalfAway(9.95)).toBe(10);
    expect(describeChange(-2.25)).toBe('down 2.3');
    expect(describeChange(1.15)).toBe('up 1.2');
  });

  it('shows changes with a sign', () => {
    expect(formatChange(1.2)).toBe('+1.2');
    expect(formatChange(-0.44)).toBe('\u22120.4');
    expect(formatChange(0)).toBe('0.0');
    expect(formatChange(-0.01)).toBe('0.0');
    expect(formatChange(null)).toBe('\u2013');
  });

  it('says changes in words', () => {
    expect(describeChange(1.2)).toBe('up 1.2');
    expect(describeChange(-0.5)).toBe('down 0.5');
    expect(describeChange(0.04)).toBe('no change');
    expect(describeChange(null)).toBe('no comparison yet');
  });

  it('counts in words', () => {
    expect(plural(1, 'answer')).toBe('1 answer');
    expect(plural(0, 'answer')).toBe('0 answers');
    expect(plural(2, 'person', 'people')).toBe('2 people');
  });

  it('names the points of a scale', () => {
    expect(scalePoints(scale)).toEqual([1, 2, 3, 4, 5]);
    expect(pointLabel(scale, 1)).toBe('1 \u2014 Not at all');
    expect(pointLabel(scale, 3)).toBe('3');
    expect(pointLabel(scale, 5)).toBe('5 \u2014 Completely');
    const worded = { ...scale, min: 0, max: 2, labels: { min: 'No', max: 'Yes', points: ['Never', 'Sometimes', 'Always'] } };
    expect(pointLabel(worded, 1)).toBe('1 \u2014 Sometimes');
    expect(pointLabel(worded, 0)).toBe('0 \u2014 Never');
  });

  it('orders rounds by the activity, not by the object', () => {
    const first = aggregate.statements[0]!;
    expect(orderedRounds(scale, first).map(([name]) => name)).toEqual(['Before', 'After']);
    expect(orderedRounds({ rounds: ['Before'] }, first).map(([name]) => name)).toEqual(['Before', 'After']);
  });

  it('computes the change of the means from the first round to the last', () => {
    const rounds = orderedRounds(scale, aggregate.statements[0]!);
    expect(meanChange(rounds)).toBeCloseTo(4.2 - 2.2);
    expect(meanChange(rounds.slice(0, 1))).toBeNull();
    expect(meanChange(orderedRounds(scale, aggregate.statements[1]!))).toBeNull();
  });

  it('splits a round into shares', () => {
    expect(shares(stats([1, 0, 3, 0, 0]))).toEqual([0.25, 0, 0.75, 0, 0]);
    expect(shares(stats([0, 0]))).toEqual([0, 0]);
  });

  it('describes a round for screen readers', () => {
    expect(describeRound(scale, stats([1, 2, 2, 0, 0]))).toBe('average 2.2 from 5 answers (1: 1, 2: 2, 3: 2, 4: 0, 5: 0)');
    expect(describeRound(scale, stats([0, 0, 0, 0, 0]))).toBe('no answers yet');
  });

  it('summarises a scale for the live region', () => {
    expect(summariseScale(scale, aggregate, 'After')).toBe(
      'Statement 1: After, average 4.2 from 5 answers. Statement 2: After, no answers yet.',
    );
    const single = { ...scale, statements: ['Only one'], rounds: ['Answers'] };
    expect(
      summariseScale(single, { statements: [{ text: 'Only one', rounds: { Answers: stats([0, 1]) }, paired: null }] }, null),
    ).toBe('Results: average 2.0 from 1 answer.');
  });

  it('draws an empty aggregate before the first results', () => {
    const empty = emptyAggregate(scale);
    expect(empty.statements).toHaveLength(2);
    expect(empty.statements[0]?.rounds['Before']).toEqual({ n: 0, mean: null, median: null, counts: [0, 0, 0, 0, 0] });
    expect(empty.statements[0]?.paired).toEqual({ n: 0, mean_change: null });
    expect(emptyAggregate({ ...scale, rounds: [] }).statements[0]?.rounds['Answers']?.counts).toHaveLength(5);
  });

  it('summarises a word cloud without its hidden words', () => {
    expect(visibleEntries(words).map((entry) => entry.text)).toEqual(['family', 'trust', 'time']);
    // The server's counts, which leave the hidden "rude" out; the hidden entry is not named.
    expect(cloudTotals(words)).toBe('6 words from 5 people');
    expect(summariseCloud(words)).toBe('6 words from 5 people. Most named: family 3, trust 2, time 1.');
    expect(summariseCloud({ entries: [], total: 0, groups: 0, participants: 0 })).toBe('No words yet.');
    expect(summariseResults(cloud, words, null)).toBe(summariseCloud(words));
    expect(summariseResults(scale, aggregate, 'Before')).toBe(summariseScale(scale, aggregate, 'Before'));
  });

  it('summarises a jam board without its hidden notes', () => {
    expect(summariseBoard(notes)).toBe('Barriers: 1 note, Successes: 0 notes. Common words: time.');
    expect(summariseResults(board, notes, null)).toBe(summariseBoard(notes));
  });
});
