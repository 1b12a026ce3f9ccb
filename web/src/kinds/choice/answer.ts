// A one-message answer (a choice, a ranking, points) as the phone sees it: what the server
// has saved, and how the last sending went.

import { submitKey, type LiveState, type SubmitSlot } from '../../lib/live';
import type { MineOfKinds } from './wire';

export type AnswerField = keyof MineOfKinds;

/**
 * The participant's saved answer in this round: the last one the server acknowledged on
 * this page, else the server's record (`mine`, after a reload); null for none.
 */
export function savedAnswer(live: LiveState, activity: string, round: string | null, field: AnswerField): number[] | null {
  const key = submitKey(activity, round);
  const slot = live.submitted[key];
  if (slot?.status === 'saved') {
    const sent = slot.fields[field];
    if (Array.isArray(sent)) return sent as number[];
  }
  // The server's record lists nothing for a participant who has not answered this round
  // (a real answer always names at least one option, and every item).
  const mine = live.mine[key] as MineOfKinds | undefined;
  const kept = mine?.[field];
  return Array.isArray(kept) && kept.length > 0 ? kept : null;
}

/** How the last sending of this round's answer went; undefined when none was sent here. */
export function sending(live: LiveState, activity: string, round: string | null): SubmitSlot | undefined {
  return live.submitted[submitKey(activity, round)];
}

/** Two answers are the same (in order). */
export function sameAnswer(a: readonly number[] | null, b: readonly number[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
