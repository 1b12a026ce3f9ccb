// A ranking as the phone builds it (moves by button or drag, first = top) and as its
// results read (mean rank, Borda points, how often first).

import { formatMean, formatRounded, plural } from '../../lib/format';
import { comparedRounds, roundKey, shownRounds } from '../choice/rounds';
import type { RankingActivity, RankingAggregate, RankingRound } from '../choice/wire';

/** The items in the order they were given: 0, 1, …, count − 1. */
export function initialOrder(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

/** Whether `order` holds every item of `count` exactly once (what the server takes). */
export function isFullOrder(order: readonly number[], count: number): boolean {
  if (order.length !== count) return false;
  const seen = new Set(order);
  return seen.size === count && order.every((i) => Number.isInteger(i) && i >= 0 && i < count);
}

/** The order with the item at place `from` moved to place `to` (both 0-based); a copy. */
export function moveTo(order: readonly number[], from: number, to: number): number[] {
  const next = [...order];
  if (from < 0 || from >= next.length) return next;
  const target = Math.max(0, Math.min(next.length - 1, to));
  const [item] = next.splice(from, 1);
  next.splice(target, 0, item as number);
  return next;
}

/** The order with the item at place `at` one place up (−1) or down (+1); null at an end. */
export function moveBy(order: readonly number[], at: number, by: -1 | 1): number[] | null {
  const to = at + by;
  if (at < 0 || at >= order.length || to < 0 || to >= order.length) return null;
  return moveTo(order, at, to);
}

/** What a screen reader hears after a move: "“Training” is now 2 of 5." */
export function moveWords(text: string, place: number, count: number): string {
  const where = place === 0 ? ', at the top' : place === count - 1 ? ', at the bottom' : '';
  return `“${text}” is now ${place + 1} of ${count}${where}.`;
}

/** The round the results are ordered by: the one asked now if answered, else the last answered. */
export function sortRound(rounds: readonly string[], data: RankingAggregate, round: string | null): string {
  const answeredIn = (name: string) => data.items.some((item) => (item.rounds[name]?.n ?? 0) > 0);
  const now = round === null ? null : roundKey(round);
  if (now !== null && rounds.includes(now) && answeredIn(now)) return now;
  for (let i = rounds.length - 1; i >= 0; i--) {
    const name = rounds[i] as string;
    if (answeredIn(name)) return name;
  }
  return now ?? rounds[0] ?? '';
}

export interface RankedRow {
  /** The item's index in the activity. */
  item: number;
  text: string;
  /** Its figures in the round the list is ordered by. */
  stats: RankingRound | null;
  /** Mean rank in the first and the last round, with two or more rounds. */
  from: number | null;
  to: number | null;
}

/** The rounds a ranking's results are drawn in. */
export function rankingRounds(activity: Pick<RankingActivity, 'rounds'>, data: RankingAggregate): string[] {
  return shownRounds(activity.rounds, data.items.map((item) => item.rounds));
}

/** How many answered a round (every answer ranks every item). */
export function rankedBy(data: RankingAggregate, round: string): number {
  return data.items.reduce((most, item) => Math.max(most, item.rounds[round]?.n ?? 0), 0);
}

/**
 * The items by mean rank in `by` (best first; ties by more points, then by more firsts,
 * then in the activity's order); items nobody ranked yet last.
 */
export function rankedRows(activity: Pick<RankingActivity, 'rounds'>, data: RankingAggregate, by: string): RankedRow[] {
  const pair = comparedRounds(rankingRounds(activity, data));
  const rows = data.items.map((item, i) => ({
    item: i,
    text: item.text,
    stats: item.rounds[by] ?? null,
    from: pair ? (item.rounds[pair[0]]?.mean_rank ?? null) : null,
    to: pair ? (item.rounds[pair[1]]?.mean_rank ?? null) : null,
  }));
  const key = (row: RankedRow) => row.stats?.mean_rank ?? Number.POSITIVE_INFINITY;
  return rows.sort(
    (a, b) =>
      key(a) - key(b) ||
      (b.stats?.points ?? 0) - (a.stats?.points ?? 0) ||
      (b.stats?.first ?? 0) - (a.stats?.first ?? 0) ||
      a.item - b.item,
  );
}

/** "2.4 → 1.6" (mean rank in the first round, then the last); "–" sides for no answers. */
export function rankChangeText(row: RankedRow): string {
  return `${formatMean(row.from)} \u2192 ${formatMean(row.to)}`;
}

/** The same for screen readers: "mean rank 2.4 in the first round, 1.6 in the last: up 0.8 places". */
export function rankChangeWords(row: RankedRow, rounds: readonly string[]): string {
  const pair = comparedRounds(rounds);
  if (!pair || row.from === null || row.to === null) return 'no comparison yet';
  const diff = row.from - row.to;
  const moved = formatRounded(Math.abs(diff));
  const how = moved === '0.0' ? 'no change' : `${diff > 0 ? 'up' : 'down'} ${moved} places`;
  return `mean rank ${formatMean(row.from)} in ${pair[0]}, ${formatMean(row.to)} in ${pair[1]}: ${how}`;
}

/** The results in words: the top three of the round asked (or the last answered). */
export function summariseRanking(activity: RankingActivity, data: RankingAggregate, round: string | null): string {
  const rounds = rankingRounds(activity, data);
  const by = sortRound(rounds, data, round);
  const n = rankedBy(data, by);
  const head = by ? `${by}: ` : '';
  if (n === 0) return `${head}no rankings yet.`;
  const top = rankedRows(activity, data, by)
    .slice(0, 3)
    .map((row, i) => `${i + 1}. ${row.text} (mean rank ${formatMean(row.stats?.mean_rank)}, first for ${row.stats?.first ?? 0})`);
  return `${head}${plural(n, 'ranking')}. ${top.join('; ')}.`;
}

/** Results nobody has answered yet. */
export function emptyRanking(activity: Pick<RankingActivity, 'items'>): RankingAggregate {
  return { kind: 'ranking', items: activity.items.map((text) => ({ text, rounds: {} })) };
}
