// A scale split by group on the projector: what each cell of the table says.

import { describeChange, formatChange, formatMean } from '../../lib/format';
import type { Scale, StatementResults } from '../../lib/protocol';
import { meanChange, orderedRounds } from './format';

/** One cell: a statement for one group. */
export interface SideCell {
  /** "3.9", or "2.8 → 3.9" over rounds (first and last). */
  means: string;
  /** "+1.1" (the paired change where people answered both rounds), or null with one round. */
  change: string | null;
  /** Whether `change` is the paired change (people who answered both rounds). */
  paired: boolean;
  /** The cell in words: "Before 2.8, After 3.9, up 1.1 for the 6 people who answered both". */
  spoken: string;
}

/**
 * What a statement's cell says for one group (or everyone): the first and last rounds anyone
 * in it answered, and the change between them; one round alone as its mean. Undefined: nobody
 * in the group answered yet.
 */
export function sideCell(scale: Pick<Scale, 'rounds'>, statement: StatementResults | undefined): SideCell {
  const none: SideCell = { means: '\u2013', change: null, paired: false, spoken: 'no answers yet' };
  if (!statement) return none;
  const rounds = orderedRounds(scale, statement).filter(([, stats]) => stats.n > 0 && stats.mean != null);
  const first = rounds[0];
  const last = rounds[rounds.length - 1];
  if (!first || !last) return none;
  const named = scale.rounds.length > 1;
  if (rounds.length < 2) {
    const mean = formatMean(first[1].mean);
    return { means: mean, change: null, paired: false, spoken: named ? `${first[0]} ${mean}` : `average ${mean}` };
  }
  const paired = statement.paired && statement.paired.n > 0 && statement.paired.mean_change != null ? statement.paired : null;
  const change = paired ? paired.mean_change : meanChange([first, last]);
  const spoken = [
    `${first[0]} ${formatMean(first[1].mean)}`,
    `${last[0]} ${formatMean(last[1].mean)}`,
    paired ? `${describeChange(change)} for the ${paired.n} who answered both` : describeChange(change),
  ].join(', ');
  return {
    means: `${formatMean(first[1].mean)} \u2192 ${formatMean(last[1].mean)}`,
    change: formatChange(change),
    paired: paired !== null,
    spoken,
  };
}

/** How many people a column's figures are from: the most answers to any statement in `round` (any round when null). */
export function sidePeople(statements: readonly StatementResults[], round: string | null): number {
  let most = 0;
  for (const statement of statements) {
    for (const [name, stats] of Object.entries(statement.rounds)) {
      if (round === null || name === round) most = Math.max(most, stats?.n ?? 0);
    }
  }
  return most;
}
