// How results read, on screens and to screen readers.

import { isJamboard, isScale, isWordCloud, jamboardResults, scaleResults, wordCloudResults } from './kinds';
import type {
  Activity,
  Aggregate,
  JamboardAggregate,
  RoundStats,
  Scale,
  ScaleAggregate,
  StatementResults,
  WordCloudAggregate,
} from './protocol';

/** "MINUS SIGN", which reads better than a hyphen beside a plus sign. */
const MINUS = '\u2212';

/**
 * The one rounding rule of every screen, report and spreadsheet: one decimal, halves away
 * from zero (2.25 → 2.3, 2.35 → 2.4, −2.25 → −2.3, 0.05 → 0.1).
 *
 * Decided by the decimal a person reads, not by the binary float: 1.15 is stored as
 * 1.149999…, and `toFixed(1)` (or `Math.round(x * 10) / 10`) gives 1.1, while anyone doing
 * the sum by hand gets 1.2. So the figure is first taken to four decimals, as the
 * spreadsheet stores it, then its tenths are rounded half away from zero: exactly the rule
 * of the server's reports (`export::one_decimal`), so that no screen and no report differ.
 */
export function roundHalfAway(value: number): number {
  const quantised = Math.round(Math.abs(value) * 1e4);
  const tenths = Math.floor((quantised + 500) / 1000);
  return tenths === 0 ? 0 : (Math.sign(value) * tenths) / 10;
}

/** `roundHalfAway`, written with its one decimal: "2.3", "−0.4" (minus sign), "0.0". */
export function formatRounded(value: number): string {
  const rounded = roundHalfAway(value);
  const text = Math.abs(rounded).toFixed(1);
  return rounded < 0 ? `${MINUS}${text}` : text;
}

/** A mean as shown: one decimal ("3.2"), or a dash when nobody answered. */
export function formatMean(mean: number | null | undefined): string {
  return mean == null || !Number.isFinite(mean) ? '\u2013' : formatRounded(mean);
}

/** A change as shown: "+1.2", "−0.4", "0.0"; a dash when there is nothing to compare. */
export function formatChange(change: number | null | undefined): string {
  if (change == null || !Number.isFinite(change)) return '\u2013';
  const rounded = roundHalfAway(change);
  const text = Math.abs(rounded).toFixed(1);
  if (rounded === 0) return '0.0';
  return rounded > 0 ? `+${text}` : `${MINUS}${text}`;
}

/** A change in words, for screen readers: "up 1.2", "down 0.4", "no change". */
export function describeChange(change: number | null | undefined): string {
  if (change == null || !Number.isFinite(change)) return 'no comparison yet';
  const text = Math.abs(roundHalfAway(change)).toFixed(1);
  if (text === '0.0') return 'no change';
  return change > 0 ? `up ${text}` : `down ${text}`;
}

/** "1 answer", "12 answers". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

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

/** Word-cloud entries people may see: hidden ones left out. */
export function visibleEntries(data: WordCloudAggregate): WordCloudAggregate['entries'] {
  return data.entries.filter((entry) => !entry.hidden);
}

/**
 * "17 words from 10 people", as the server counts them: hidden entries are left out of both
 * (the server's `total` and `participants`; the entries it sends are only the top 150
 * groups, so the words cannot be added up here).
 */
export function cloudTotals(data: WordCloudAggregate): string {
  return `${plural(data.total, 'word')} from ${plural(data.participants, 'person', 'people')}`;
}

/** A short summary of a word cloud for the live region: the count and the top words. */
export function summariseCloud(data: WordCloudAggregate, top = 5): string {
  const shown = visibleEntries(data);
  if (shown.length === 0) return 'No words yet.';
  const head = `${cloudTotals(data)}.`;
  const words = shown
    .slice(0, top)
    .map((entry) => `${entry.text} ${entry.count}`)
    .join(', ');
  return `${head} Most named: ${words}.`;
}

/** The live-region summary of any activity's results. */
export function summariseResults(activity: Activity, data: Aggregate, round: string | null): string {
  if (isScale(activity)) {
    const results = scaleResults(data);
    return results ? summariseScale(activity, results, round) : '';
  }
  const cloud = isWordCloud(activity) ? wordCloudResults(data) : null;
  if (cloud) return summariseCloud(cloud);
  const board = isJamboard(activity) ? jamboardResults(data) : null;
  return board ? summariseBoard(board) : '';
}

/** A short summary of a jam board for the live region: notes per frame, common words. */
export function summariseBoard(data: JamboardAggregate, top = 5): string {
  const frames = data.frames
    .map((frame) => `${frame.title}: ${plural(frame.notes.filter((note) => !note.hidden).length, 'note')}`)
    .join(', ');
  const words = data.keywords.slice(0, top).map((keyword) => keyword.text);
  return `${frames}.${words.length > 0 ? ` Common words: ${words.join(', ')}.` : ''}`;
}
