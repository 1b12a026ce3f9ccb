// A multiple choice in the agenda editor, and how it becomes the wire's activity.

import { SHARED_LIMITS, isWhole, nextUid } from '../../lib/limits';
import type { Activity } from '../../lib/protocol';
import { lineProblems, roundProblems, wireRounds } from './rounds';
import type { ChoiceActivity } from './wire';

/** Limits the server applies (src/activity/choice.rs). */
export const LIMITS = {
  ...SHARED_LIMITS,
  minOptions: 2,
  options: 12,
  optionChars: 200,
  rounds: 6,
  labelChars: 60,
} as const;

export interface ChoiceDraft {
  kind: 'choice';
  uid: number;
  id: string;
  title: string;
  options: string[];
  /** 1: one choice (radio buttons); more: up to that many (checkboxes). */
  maxChoices: number;
  rounds: string[];
}

export function newChoiceDraft(): ChoiceDraft {
  return { kind: 'choice', uid: nextUid(), id: '', title: '', options: ['', ''], maxChoices: 1, rounds: [] };
}

export function toChoiceDraft(activity: ChoiceActivity): ChoiceDraft {
  return {
    kind: 'choice',
    uid: nextUid(),
    id: activity.id,
    title: activity.title,
    options: [...activity.options],
    maxChoices: activity.max_choices,
    rounds: [...activity.rounds],
  };
}

export function fromChoiceDraft(draft: ChoiceDraft): Activity {
  const activity: ChoiceActivity = {
    id: draft.id,
    kind: 'choice',
    title: draft.title.trim(),
    options: draft.options.map((o) => o.trim()),
    max_choices: draft.maxChoices,
    rounds: wireRounds(draft.rounds),
  };
  return activity as unknown as Activity;
}

export function choiceProblems(draft: ChoiceDraft): string[] {
  const problems: string[] = [];
  if (!draft.title.trim()) problems.push('Give the question a title: it is what people answer.');
  else if (draft.title.trim().length > LIMITS.titleChars) {
    problems.push(`The title is longer than ${LIMITS.titleChars} characters.`);
  }
  problems.push(
    ...lineProblems(draft.options, { one: 'option', many: 'options' }, {
      min: LIMITS.minOptions,
      max: LIMITS.options,
      chars: LIMITS.optionChars,
    }),
  );
  if (!isWhole(draft.maxChoices) || draft.maxChoices < 1 || draft.maxChoices > Math.max(1, draft.options.length)) {
    problems.push(`How many each person may choose must be a whole number from 1 to ${draft.options.length}.`);
  }
  problems.push(...roundProblems(draft.rounds, LIMITS));
  return problems;
}
