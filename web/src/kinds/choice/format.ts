// How a multiple choice reads: choosing within the limit, and the results as counts and
// shares of the people who answered (not of the choices made).

import { plural } from '../../lib/format';
import { comparedRounds, formatPoints, percent, roundKey, shownRounds } from './rounds';
import type { BarRow } from './Bars.svelte';
import type { ChoiceActivity, ChoiceAggregate } from './wire';

/** What the phone says about the limit: "Choose one.", "Choose up to 3." */
export function chooseText(max: number): string {
  return max <= 1 ? 'Choose one.' : `Choose up to ${max}.`;
}

/**
 * Ticks or unticks option `i`. One choice: it replaces the last. Up to `max`: a tick past the
 * limit is refused (the list stays as it was, `refused` true). Returned sorted.
 */
export function toggleChoice(chosen: readonly number[], i: number, max: number): { chosen: number[]; refused: boolean } {
  if (max <= 1) return { chosen: [i], refused: false };
  if (chosen.includes(i)) return { chosen: chosen.filter((c) => c !== i), refused: false };
  if (chosen.length >= max) return { chosen: [...chosen], refused: true };
  return { chosen: [...chosen, i].sort((a, b) => a - b), refused: false };
}

/** One option in one round. */
export interface OptionRound {
  count: number;
  /** Of the people who answered the round, 0–100 (whole). */
  share: number;
}

/** The people who answered a round. */
export function answered(data: ChoiceAggregate, round: string): number {
  return data.rounds[round]?.n ?? 0;
}

/** Option `i` in `round`: its count and its share of the people who answered. */
export function optionRound(data: ChoiceAggregate, i: number, round: string): OptionRound {
  const count = data.options[i]?.rounds[round]?.count ?? 0;
  return { count, share: percent(count, answered(data, round)) };
}

/** The rounds the results are drawn in. */
export function choiceRounds(activity: Pick<ChoiceActivity, 'rounds'>, data: ChoiceAggregate): string[] {
  return shownRounds(activity.rounds, [data.rounds, ...data.options.map((o) => o.rounds)]);
}

/** The change of option `i`'s share from the first round to the last, in percentage points. */
export function shareChange(data: ChoiceAggregate, i: number, rounds: readonly string[]): number | null {
  const pair = comparedRounds(rounds);
  if (!pair) return null;
  const [from, to] = pair;
  if (answered(data, from) === 0 || answered(data, to) === 0) return null;
  return optionRound(data, i, to).share - optionRound(data, i, from).share;
}

/** "+15 points", "no change", for screens; null stays "–". */
export function changeText(change: number | null): string {
  if (change === null) return '\u2013';
  return change === 0 ? 'no change' : `${formatPoints(change)} pts`;
}

/** "7 of 20 people (35%)". */
export function describeOption(one: OptionRound, n: number): string {
  return `${one.count} of ${plural(n, 'person', 'people')} (${one.share}%)`;
}

/** The note beside the shares: what 100% means. */
export function sharesNote(activity: Pick<ChoiceActivity, 'max_choices'>, n: number): string {
  const base = `Shares are of the ${plural(n, 'person', 'people')} who answered`;
  return activity.max_choices > 1 ? `${base}; each could choose up to ${activity.max_choices}, so they add up to more than 100%.` : `${base}.`;
}

/** The results in words for screen readers: the round asked now (or the last), most chosen first. */
export function summariseChoice(activity: ChoiceActivity, data: ChoiceAggregate, round: string | null): string {
  const rounds = choiceRounds(activity, data);
  const name = round !== null ? roundKey(round) : (rounds[rounds.length - 1] ?? '');
  const n = answered(data, name);
  const head = name ? `${name}: ` : '';
  if (n === 0) return `${head}no answers yet.`;
  const ranked = data.options
    .map((option, i) => ({ text: option.text, ...optionRound(data, i, name) }))
    .sort((a, b) => b.count - a.count);
  const parts = ranked.slice(0, 3).map((o) => `${o.text} ${o.count} (${o.share}%)`);
  return `${head}${plural(n, 'person', 'people')} answered. Most chosen: ${parts.join(', ')}.`;
}

/** Results nobody has answered yet, to draw before the first results frame. */
export function emptyChoice(activity: Pick<ChoiceActivity, 'options'>): ChoiceAggregate {
  return { kind: 'choice', options: activity.options.map((text) => ({ text, rounds: {} })), rounds: {} };
}

/** The bars of a choice: per option, per round, count and share of the people who answered. */
export function choiceRows(activity: ChoiceActivity, data: ChoiceAggregate, round: string | null): BarRow[] {
  const rounds = choiceRounds(activity, data);
  const now = round === null ? null : roundKey(round);
  return data.options.map((option, i) => {
    const change = shareChange(data, i, rounds);
    return {
      text: option.text,
      lines: rounds.map((name) => {
        const n = answered(data, name);
        const one = optionRound(data, i, name);
        return {
          round: name,
          fraction: n === 0 ? 0 : one.count / n,
          value: `${one.count} · ${one.share}%`,
          words: describeOption(one, n),
          current: rounds.length > 1 && name === now,
        };
      }),
      change:
        rounds.length > 1
          ? {
              text: change === null ? '\u2013' : `${formatPoints(change)}`,
              words:
                change === null
                  ? 'no comparison yet'
                  : change === 0
                    ? 'no change'
                    : `${change > 0 ? 'up' : 'down'} ${Math.abs(change)} percentage points`,
            }
          : null,
    };
  });
}
