// A ranking in the agenda editor, and how it becomes the wire's activity.

import { SHARED_LIMITS, nextUid } from '../../lib/limits';
import type { Activity } from '../../lib/protocol';
import { lineProblems, roundProblems, wireRounds } from '../choice/rounds';
import type { RankingActivity } from '../choice/wire';

/** Limits the server applies (src/activity/ranking.rs). */
export const LIMITS = {
  ...SHARED_LIMITS,
  minItems: 2,
  items: 10,
  itemChars: 200,
  rounds: 6,
  labelChars: 60,
} as const;

export interface RankingDraft {
  kind: 'ranking';
  uid: number;
  id: string;
  title: string;
  items: string[];
  rounds: string[];
}

export function newRankingDraft(): RankingDraft {
  return { kind: 'ranking', uid: nextUid(), id: '', title: '', items: ['', '', ''], rounds: [] };
}

export function toRankingDraft(activity: RankingActivity): RankingDraft {
  return {
    kind: 'ranking',
    uid: nextUid(),
    id: activity.id,
    title: activity.title,
    items: [...activity.items],
    rounds: [...activity.rounds],
  };
}

export function fromRankingDraft(draft: RankingDraft): Activity {
  const activity: RankingActivity = {
    id: draft.id,
    kind: 'ranking',
    title: draft.title.trim(),
    items: draft.items.map((i) => i.trim()),
    rounds: wireRounds(draft.rounds),
  };
  return activity as unknown as Activity;
}

export function rankingProblems(draft: RankingDraft): string[] {
  const problems: string[] = [];
  if (!draft.title.trim()) problems.push('Give the ranking a title: it is what people answer.');
  else if (draft.title.trim().length > LIMITS.titleChars) {
    problems.push(`The title is longer than ${LIMITS.titleChars} characters.`);
  }
  problems.push(
    ...lineProblems(draft.items, { one: 'item', many: 'items' }, {
      min: LIMITS.minItems,
      max: LIMITS.items,
      chars: LIMITS.itemChars,
    }),
  );
  problems.push(...roundProblems(draft.rounds, LIMITS));
  return problems;
}
