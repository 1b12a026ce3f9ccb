// Points spread over items within a budget: the phone's arithmetic (what is left, what a
// step may add, what is over) and how the results read (total and mean per item).

import { formatMean, plural } from '../../lib/format';
import type { BarRow } from '../choice/Bars.svelte';
import { comparedRounds, roundKey, shownRounds } from '../choice/rounds';
import type { PointsActivity, PointsAggregate } from '../choice/wire';

/** The budget when none is given, and its limits (the server's). */
export const DEFAULT_BUDGET = 100;
export const MIN_BUDGET = 10;
export const MAX_BUDGET = 1000;

/** Points given so far. */
export function spent(points: readonly number[]): number {
  return points.reduce((sum, p) => sum + (Number.isFinite(p) ? p : 0), 0);
}

/** Points left to give; negative when over the budget. */
export function left(points: readonly number[], budget: number): number {
  return budget - spent(points);
}

/** The steppers' step: a twentieth of the budget, in whole points (5 of 100, 50 of 1,000). */
export function stepOf(budget: number): number {
  return Math.max(1, Math.round(budget / 20));
}

/**
 * Item `i` given `by` more points (or fewer, `by` < 0): never below 0, never past the budget
 * (a step that would go over gives what is left; nothing left: `refused`). A copy.
 */
export function step(points: readonly number[], i: number, by: number, budget: number): { points: number[]; refused: boolean } {
  const next = [...points];
  const now = next[i] ?? 0;
  if (by > 0) {
    const room = left(points, budget);
    if (room <= 0) return { points: next, refused: true };
    next[i] = now + Math.min(by, room);
  } else {
    next[i] = Math.max(0, now + by);
  }
  return { points: next, refused: false };
}

/** A typed number of points: a whole number from 0; null for anything else ("", "2.5", "−3"). */
export function parsePoints(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d{1,7}$/.test(trimmed)) return null;
  return Number(trimmed);
}

/** Why these points cannot be sent, in plain words; null when they can. */
export function pointsProblem(points: readonly number[], budget: number): string | null {
  if (points.some((p) => !Number.isInteger(p) || p < 0)) return 'Points are whole numbers, 0 or more.';
  const over = -left(points, budget);
  if (over > 0) return `That is ${plural(over, 'point')} over the budget of ${budget}. Take some off first.`;
  if (spent(points) === 0) return 'Give some points first.';
  return null;
}

/** "40 points left of 100", "All 100 points given", "20 points over the budget". */
export function leftText(points: readonly number[], budget: number): string {
  const room = left(points, budget);
  if (room < 0) return `${plural(-room, 'point')} over the budget of ${budget}`;
  if (room === 0) return `All ${budget} points given`;
  return `${plural(room, 'point')} left of ${budget}`;
}

/** The rounds a points activity's results are drawn in. */
export function pointsRounds(activity: Pick<PointsActivity, 'rounds'>, data: PointsAggregate): string[] {
  return shownRounds(activity.rounds, data.items.map((item) => item.rounds));
}

/** How many gave points in a round. */
export function givers(data: PointsAggregate, round: string): number {
  return data.items.reduce((most, item) => Math.max(most, item.rounds[round]?.n ?? 0), 0);
}

/** The bars: per item, per round, its total (bar) and mean, and the change of the mean. */
export function pointsRows(activity: PointsActivity, data: PointsAggregate, round: string | null): BarRow[] {
  const rounds = pointsRounds(activity, data);
  const now = round === null ? null : roundKey(round);
  // Bars are to scale with the largest total of any round (and never wider than all).
  const most = Math.max(1, ...data.items.flatMap((item) => rounds.map((name) => item.rounds[name]?.total ?? 0)));
  const pair = comparedRounds(rounds);
  return data.items.map((item) => {
    const from = pair ? (item.rounds[pair[0]]?.mean ?? null) : null;
    const to = pair ? (item.rounds[pair[1]]?.mean ?? null) : null;
    const change = from !== null && to !== null ? to - from : null;
    return {
      text: item.text,
      lines: rounds.map((name) => {
        const stats = item.rounds[name];
        const total = stats?.total ?? 0;
        return {
          round: name,
          fraction: total / most,
          value: `${total} · ${formatMean(stats?.mean)} each`,
          words: `${plural(total, 'point')} in all, ${stats?.mean == null ? 'no mean yet' : `a mean of ${formatMean(stats.mean)}`}`,
          current: rounds.length > 1 && name === now,
        };
      }),
      change: pair
        ? {
            text: change === null ? '\u2013' : changeText(change),
            words: change === null ? 'no comparison yet' : `mean ${changeWords(change)}`,
          }
        : null,
    };
  });
}

function changeText(change: number): string {
  const text = formatMean(Math.abs(change));
  if (text === '0.0') return '0.0';
  return change > 0 ? `+${text}` : `\u2212${text}`;
}

function changeWords(change: number): string {
  const text = formatMean(Math.abs(change));
  if (text === '0.0') return 'no change';
  return `${change > 0 ? 'up' : 'down'} ${text}`;
}

/** The results in words: the items with most points in the round asked (or the last). */
export function summarisePoints(activity: PointsActivity, data: PointsAggregate, round: string | null): string {
  const rounds = pointsRounds(activity, data);
  const name = round !== null ? roundKey(round) : (rounds[rounds.length - 1] ?? '');
  const n = givers(data, name);
  const head = name ? `${name}: ` : '';
  if (n === 0) return `${head}no points given yet.`;
  const top = data.items
    .map((item) => ({ text: item.text, total: item.rounds[name]?.total ?? 0, mean: item.rounds[name]?.mean ?? null }))
    .sort((a, b) => b.total - a.total)
    .slice(0, 3)
    .map((item) => `${item.text} ${item.total} (mean ${formatMean(item.mean)})`);
  return `${head}${plural(n, 'person', 'people')} gave points. Most: ${top.join(', ')}.`;
}

/** Results nobody has answered yet. */
export function emptyPoints(activity: Pick<PointsActivity, 'items'>): PointsAggregate {
  return { kind: 'points', items: activity.items.map((text) => ({ text, rounds: {} })) };
}
