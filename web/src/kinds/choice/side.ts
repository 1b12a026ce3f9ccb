// Choice, ranking and points split by group on the projector: what each cell of the
// side-by-side table says (the table itself is `lib/SideTable.svelte`).

import { formatChange, formatMean, formatRounded } from '../../lib/format';
import type { SideTableCell } from '../../lib/SideTable.svelte';
import { answered, choiceRounds, optionRound } from './format';
import { formatPoints } from './rounds';
import type { ChoiceActivity, ChoiceAggregate, PointsActivity, PointsAggregate, RankingActivity, RankingAggregate } from './wire';
import { rankingRounds } from '../ranking/order';
import { pointsRounds } from '../points/budget';

const NONE: SideTableCell = { main: '\u2013', sub: null, spoken: 'no answers yet' };

/** The rounds anyone answered, first and last (the same one with one round). */
function answeredPair(rounds: readonly string[], any: (round: string) => boolean): [string, string] | null {
  const done = rounds.filter(any);
  const first = done[0];
  const last = done[done.length - 1];
  return first === undefined || last === undefined ? null : [first, last];
}

/** How a round is named in words ("" is the one round of an activity without rounds). */
const said = (round: string) => (round ? `${round} ` : '');

/** Option `i`'s share of the people who answered: "35%", or "35% → 52%" and "+17 pts" over rounds. */
export function choiceSideCell(activity: Pick<ChoiceActivity, 'rounds'>, data: ChoiceAggregate | null, i: number): SideTableCell {
  if (!data) return NONE;
  const pair = answeredPair(choiceRounds(activity, data), (round) => answered(data, round) > 0);
  if (!pair) return NONE;
  const [from, to] = pair;
  const last = optionRound(data, i, to);
  if (from === to) {
    return { main: `${last.share}%`, sub: null, spoken: `${said(to)}${last.count} of ${answered(data, to)}, ${last.share}%` };
  }
  const first = optionRound(data, i, from);
  const change = last.share - first.share;
  return {
    main: `${first.share}% \u2192 ${last.share}%`,
    sub: `${formatPoints(change)} pts`,
    spoken: `${from} ${first.share}%, ${to} ${last.share}%, ${change === 0 ? 'no change' : `${change > 0 ? 'up' : 'down'} ${Math.abs(change)} points`}`,
  };
}

/** The most people who answered any round of a choice. */
export function choicePeople(data: ChoiceAggregate): number {
  return Object.values(data.rounds).reduce((most, round) => Math.max(most, round?.n ?? 0), 0);
}

/** Item `i`'s average place (1 = first): "1.6", or "2.4 → 1.6" over rounds. */
export function rankingSideCell(activity: Pick<RankingActivity, 'rounds'>, data: RankingAggregate | null, i: number): SideTableCell {
  const item = data?.items[i];
  if (!data || !item) return NONE;
  const pair = answeredPair(rankingRounds(activity, data), (round) => data.items.some((one) => (one.rounds[round]?.n ?? 0) > 0));
  if (!pair) return NONE;
  const [from, to] = pair;
  const last = item.rounds[to]?.mean_rank ?? null;
  if (from === to) return { main: formatMean(last), sub: null, spoken: `${said(to)}average place ${formatMean(last)}` };
  const first = item.rounds[from]?.mean_rank ?? null;
  const moved = first !== null && last !== null ? first - last : null;
  const how = moved === null ? 'no comparison yet' : formatRounded(Math.abs(moved)) === '0.0' ? 'no change' : `${moved > 0 ? 'up' : 'down'} ${formatRounded(Math.abs(moved))} places`;
  return { main: `${formatMean(first)} \u2192 ${formatMean(last)}`, sub: null, spoken: `average place ${formatMean(first)} ${from}, ${formatMean(last)} ${to}: ${how}` };
}

/** The most people who ranked in any round. */
export function rankingPeople(data: RankingAggregate): number {
  return data.items.reduce((most, item) => Math.max(most, ...Object.values(item.rounds).map((round) => round?.n ?? 0)), 0);
}

/** Item `i`'s average points per person: "23.0", or "18.0 → 25.0" and "+7.0" over rounds. */
export function pointsSideCell(activity: Pick<PointsActivity, 'rounds'>, data: PointsAggregate | null, i: number): SideTableCell {
  const item = data?.items[i];
  if (!data || !item) return NONE;
  const pair = answeredPair(pointsRounds(activity, data), (round) => data.items.some((one) => (one.rounds[round]?.n ?? 0) > 0));
  if (!pair) return NONE;
  const [from, to] = pair;
  const last = item.rounds[to]?.mean ?? null;
  if (from === to) return { main: formatMean(last), sub: null, spoken: `${said(to)}average ${formatMean(last)} points` };
  const first = item.rounds[from]?.mean ?? null;
  const change = first !== null && last !== null ? last - first : null;
  return {
    main: `${formatMean(first)} \u2192 ${formatMean(last)}`,
    sub: formatChange(change),
    spoken: `${from} ${formatMean(first)} points, ${to} ${formatMean(last)}, change ${formatChange(change)}`,
  };
}

/** The most people who gave points in any round. */
export function pointsPeople(data: PointsAggregate): number {
  return data.items.reduce((most, item) => Math.max(most, ...Object.values(item.rounds).map((round) => round?.n ?? 0)), 0);
}
