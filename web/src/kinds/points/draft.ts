// Points in the agenda editor, and how they become the wire's activity.

import { SHARED_LIMITS, isWhole, nextUid } from '../../lib/limits';
import type { Activity } from '../../lib/protocol';
import { lineProblems, roundProblems, wireRounds } from '../choice/rounds';
import type { PointsActivity } from '../choice/wire';
import { DEFAULT_BUDGET, MAX_BUDGET, MIN_BUDGET } from './budget';

/** Limits the server applies (src/activity/points.rs). */
export const LIMITS = {
  ...SHARED_LIMITS,
  minItems: 2,
  items: 10,
  itemChars: 200,
  rounds: 6,
  labelChars: 60,
  minBudget: MIN_BUDGET,
  maxBudget: MAX_BUDGET,
} as const;

export interface PointsDraft {
  kind: 'points';
  uid: number;
  id: string;
  title: string;
  items: string[];
  budget: number;
  rounds: string[];
}

export function newPointsDraft(): PointsDraft {
  return { kind: 'points', uid: nextUid(), id: '', title: '', items: ['', '', ''], budget: DEFAULT_BUDGET, rounds: [] };
}

export function toPointsDraft(activity: PointsActivity): PointsDraft {
  return {
    kind: 'points',
    uid: nextUid(),
    id: activity.id,
    title: activity.title,
    items: [...activity.items],
    budget: activity.budget,
    rounds: [...activity.rounds],
  };
}

export function fromPointsDraft(draft: PointsDraft): Activity {
  const activity: PointsActivity = {
    id: draft.id,
    kind: 'points',
    title: draft.title.trim(),
    items: draft.items.map((i) => i.trim()),
    budget: draft.budget,
    rounds: wireRounds(draft.rounds),
  };
  return activity as unknown as Activity;
}

export function pointsProblems(draft: PointsDraft): string[] {
  const problems: string[] = [];
  if (!draft.title.trim()) problems.push('Give the question a title: it is what people answer.');
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
  if (!isWhole(draft.budget) || draft.budget < LIMITS.minBudget || draft.budget > LIMITS.maxBudget) {
    problems.push(`The points to spread must be a whole number from ${LIMITS.minBudget} to ${LIMITS.maxBudget}.`);
  }
  problems.push(...roundProblems(draft.rounds, LIMITS));
  return problems;
}
