// How a scale's results read, on screens and to screen readers.

import { formatMean, plural } from '../../lib/format';
import type { RoundStats, Scale, ScaleAggregate, StatementResults } from '../../lib/protocol';

/** The values of a scale, lowest first. */
export function scalePoints(scale: Pick<Scale, 'min' | 'max'>): number[] {
  const points: number[] = [];
  for (let v = scale.min; v <= scale.max; v++) points.push(v);
  return points;
}

/** The words that go with a point, if any: its own label, or the end label. */
export function pointWords(scale: Pick<Scale, 'min' | 'max' | 'labels'>, value: number): string | null {
  const own = scale.labels.points[value - scale.min]?.trim();
  if (own) return own;
  if (value === scale.min && scale.labels.min) return scale.labels.min;
  if (value === scale.max && scale.labels.max) return scale.labels.max;
  return null;
}

/** The accessible name of a point: "4", or "5 — Completely" where it has words. */
export function pointLabel(scale: Pick<Scale, 'min' | 'max' | 'labels'>, value: number): string {
  const words = pointWords(scale, value);
  return words ? `${value} \u2014 ${words}` : String(value);
}

/** A statement's rounds in the activity's order, skipping rounds without results. */
export function orderedRounds(scale: Pick<Scale, 'rounds'>, statement: StatementResults): [string, RoundStats][] {
  const ordered: [string, RoundStats][] = [];
  for (const name of scale.rounds) {
    const stats = statement.rounds[name];
    if (stats) ordered.push([name, stats]);
  }
  // Rounds the activity does not list (it was just edited): after the known ones.
  for (const [name, stats] of Object.entries(statement.rounds)) {
    if (stats && !scale.rounds.includes(name)) ordered.push([name, stats]);
  }
  return ordered;
}

/** Mean of the last round minus mean of the first; null with one round or no answers. */
export function meanChange(rounds: [string, RoundStats][]): number | null {
  if (rounds.length < 2) return null;
  const first = rounds[0]?.[1].mean;
  const last = rounds[rounds.length - 1]?.[1].mean;
  return first == null || last == null ? null : last - first;
}

/** Share of each point in a round, 0–1, in the order of the counts. */
export function shares(stats: RoundStats): number[] {
  const total = stats.counts.reduce((a, b) => a + b, 0);
  return stats.counts.map((c) => (total === 0 ? 0 : c / total));
}

/** One round in words: "average 3.2 from 12 answers (1: 2, 2: 0, …)". */
export function describeRound(scale: Pick<Scale, 'min'>, stats: RoundStats, withCounts = true): string {
  if (stats.n === 0 || stats.mean == null) return 'no answers yet';
  const head = `average ${formatMean(stats.mean)} from ${plural(stats.n, 'answer')}`;
  if (!withCounts) return head;
  const counts = stats.counts.map((c, i) => `${scale.min + i}: ${c}`).join(', ');
  return `${head} (${counts})`;
}

/**
 * A short summary of a scale's results for the live region: one sentence per statement,
 * for the round being asked (or every round when `round` is null).
 */
export function summariseScale(scale: Scale, results: ScaleAggregate, round: string | null): string {
  const parts = results.statements.map((statement, i) => {
    const rounds = orderedRounds(scale, statement);
    const shown = round ? rounds.filter(([name]) => name === round) : rounds;
    const label = results.statements.length > 1 ? `Statement ${i + 1}` : 'Results';
    if (shown.length === 0) return `${label}: no answers yet.`;
    const many = rounds.length > 1;
    const text = shown
      .map(([name, stats]) => `${many ? `${name}, ` : ''}${describeRound(scale, stats, false)}`)
      .join('; ');
    return `${label}: ${text}.`;
  });
  return parts.join(' ');
}

/** The results of a scale nobody has answered yet, to draw before the first results frame. */
export function emptyAggregate(scale: Pick<Scale, 'statements' | 'rounds' | 'min' | 'max'>): ScaleAggregate {
  const points = Math.max(0, scale.max - scale.min + 1);
  const rounds = scale.rounds.length > 0 ? scale.rounds : ['Answers'];
  return {
    statements: scale.statements.map((text) => ({
      text,
      rounds: Object.fromEntries(
        rounds.map((name) => [name, { n: 0, mean: null, median: null, counts: new Array<number>(points).fill(0) }]),
      ),
      paired: rounds.length > 1 ? { n: 0, mean_change: null } : null,
    })),
  };
}
