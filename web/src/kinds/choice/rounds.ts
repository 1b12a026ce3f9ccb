// Rounds of the one-message kinds (choice, ranking, points), shared by the three folders:
// named rounds in the activity's order, and the one round "" of a kind asked once.

import type { ByRound } from './wire';

/** The name a kind without rounds uses in its results' maps. */
export const ONE_ROUND = '';

/** The one-click rounds of a before/after comparison. */
export const BEFORE_AFTER: readonly string[] = ['Before', 'After'];

/** Round names as the results are keyed: the activity's rounds, or "" for one round. */
export function roundKeys(rounds: readonly string[]): string[] {
  return rounds.length > 0 ? [...rounds] : [ONE_ROUND];
}

/** The key of the round asked now (`step.round`), or of the one round. */
export function roundKey(round: string | null): string {
  return round ?? ONE_ROUND;
}

/**
 * The rounds to draw: the activity's rounds, then any round the results hold that the
 * activity no longer names (it was just edited), in the results' order.
 */
export function shownRounds(rounds: readonly string[], maps: ByRound<unknown>[]): string[] {
  const keys = roundKeys(rounds);
  for (const map of maps) {
    for (const name of Object.keys(map)) if (!keys.includes(name)) keys.push(name);
  }
  return keys;
}

/** The round to compare against: with two or more rounds, the first and the last. */
export function comparedRounds(keys: readonly string[]): [string, string] | null {
  if (keys.length < 2) return null;
  return [keys[0] as string, keys[keys.length - 1] as string];
}

/** What a draft's rounds become on the wire: trimmed names, or none. */
export function wireRounds(rounds: readonly string[]): string[] {
  return rounds.map((r) => r.trim());
}

/** Problems with a draft's round names: empty, repeated, too long, too many. */
export function roundProblems(rounds: readonly string[], limits: { rounds: number; labelChars: number }): string[] {
  const problems: string[] = [];
  if (rounds.length > limits.rounds) problems.push(`At most ${limits.rounds} rounds.`);
  const seen = new Set<string>();
  rounds.forEach((round, i) => {
    const name = round.trim();
    if (!name) problems.push(`Round ${i + 1} has no name.`);
    else if (seen.has(name)) problems.push(`The round "${name}" is named twice.`);
    else if (name.length > limits.labelChars) {
      problems.push(`Round ${i + 1}'s name is longer than ${limits.labelChars} characters.`);
    }
    seen.add(name);
  });
  return problems;
}

/**
 * Problems with a list of options or items: too few, too many, empty, too long, the same
 * text twice (the server refuses duplicates, case and spaces aside).
 */
export function lineProblems(
  lines: readonly string[],
  what: { one: string; many: string },
  limits: { min: number; max: number; chars: number },
): string[] {
  const problems: string[] = [];
  if (lines.length < limits.min) problems.push(`Give at least ${limits.min} ${what.many}.`);
  if (lines.length > limits.max) problems.push(`At most ${limits.max} ${what.many}.`);
  const seen = new Map<string, number>();
  lines.forEach((line, i) => {
    const text = line.trim();
    const name = `${what.one[0]?.toUpperCase()}${what.one.slice(1)} ${i + 1}`;
    if (!text) problems.push(`${name} is empty.`);
    else if (text.length > limits.chars) problems.push(`${name} is longer than ${limits.chars} characters.`);
    else {
      const key = text.toLocaleLowerCase().replace(/\s+/g, ' ');
      const before = seen.get(key);
      if (before !== undefined) problems.push(`${name} is the same as ${what.one} ${before + 1}.`);
      else seen.set(key, i);
    }
  });
  return problems;
}

/** Moves line `from` of a list by one place (−1 up, +1 down), in place; false at an end. */
export function moveLine<T>(list: T[], from: number, by: -1 | 1): boolean {
  const to = from + by;
  if (from < 0 || from >= list.length || to < 0 || to >= list.length) return false;
  const [line] = list.splice(from, 1);
  list.splice(to, 0, line as T);
  return true;
}

/** A whole-number percentage, halves up: 1 of 3 → 33, 2 of 3 → 67; 0 with nobody. */
export function percent(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Math.floor((part * 100) / whole + 0.5 + 1e-9);
}

/** A change in whole percentage points, with its sign: "+15", "−5", "0". */
export function formatPoints(change: number): string {
  if (change === 0) return '0';
  return change > 0 ? `+${change}` : `\u2212${Math.abs(change)}`;
}
