// A scale in the agenda editor: plain strings (an empty label is "no label"), and how it
// becomes the wire's activity.

import { SHARED_LIMITS, isWhole, nextUid } from '../../lib/limits';
import type { Activity } from '../../lib/protocol';
import type { ActivityOf } from '../types';

export type ScaleActivity = ActivityOf<'scale'>;

/** Limits the server applies (src/activity/scale.rs). */
export const LIMITS = {
  ...SHARED_LIMITS,
  statements: 10,
  rounds: 6,
  points: 11,
  statementChars: 300,
  labelChars: 60,
} as const;

/** The round a scale gets when it is given none. */
export const DEFAULT_ROUND = 'Answers';
/** The one-click rounds of a before/after comparison. */
export const BEFORE_AFTER: readonly string[] = ['Before', 'After'];

export interface ScaleDraft {
  kind: 'scale';
  /** Key for the editor's lists; never sent. */
  uid: number;
  /** Server id; empty for an activity not saved yet. */
  id: string;
  title: string;
  statements: string[];
  min: number;
  max: number;
  labelMin: string;
  labelMax: string;
  /** Words for every point, lowest first; empty for none (then only the ends have words). */
  points: string[];
  rounds: string[];
}

export function newScaleDraft(): ScaleDraft {
  return {
    kind: 'scale',
    uid: nextUid(),
    id: '',
    title: '',
    statements: [''],
    min: 1,
    max: 5,
    labelMin: '',
    labelMax: '',
    points: [],
    rounds: [],
  };
}

export function toScaleDraft(activity: ScaleActivity): ScaleDraft {
  const sameAsDefault = activity.rounds.length === 1 && activity.rounds[0] === DEFAULT_ROUND;
  return {
    kind: 'scale',
    uid: nextUid(),
    id: activity.id,
    title: activity.title,
    statements: [...activity.statements],
    min: activity.min,
    max: activity.max,
    labelMin: activity.labels.min ?? '',
    labelMax: activity.labels.max ?? '',
    points: [...activity.labels.points],
    rounds: sameAsDefault ? [] : [...activity.rounds],
  };
}

export function fromScaleDraft(draft: ScaleDraft): Activity {
  const pointCount = draft.max - draft.min + 1;
  const labelMin = draft.labelMin.trim();
  const labelMax = draft.labelMax.trim();
  return {
    id: draft.id,
    kind: 'scale',
    title: draft.title.trim(),
    statements: draft.statements.map((s) => s.trim()),
    min: draft.min,
    max: draft.max,
    labels: {
      min: labelMin || null,
      max: labelMax || null,
      points: draft.points.length === pointCount ? draft.points.map((label) => label.trim()) : [],
    },
    rounds: draft.rounds.map((r) => r.trim()),
  };
}

/**
 * Words for every point of a scale of `count` points, from what was typed for another range:
 * kept by position, the ends filled from the end labels when empty.
 */
export function resizePoints(points: string[], count: number, ends: { min: string; max: string } = { min: '', max: '' }): string[] {
  const sized = Array.from({ length: Math.max(0, count) }, (_, i) => points[i] ?? '');
  if (sized.length > 0 && !sized[0]?.trim()) sized[0] = ends.min.trim();
  if (sized.length > 1 && !sized[sized.length - 1]?.trim()) sized[sized.length - 1] = ends.max.trim();
  return sized;
}

export function scaleProblems(draft: ScaleDraft): string[] {
  const problems: string[] = [];
  if (draft.title.trim().length > LIMITS.titleChars) {
    problems.push(`The title is longer than ${LIMITS.titleChars} characters.`);
  }
  if (draft.statements.length === 0) problems.push('Add at least one statement.');
  if (draft.statements.length > LIMITS.statements) {
    problems.push(`A scale can have at most ${LIMITS.statements} statements.`);
  }
  draft.statements.forEach((statement, i) => {
    const text = statement.trim();
    if (!text) problems.push(`Statement ${i + 1} is empty.`);
    else if (text.length > LIMITS.statementChars) {
      problems.push(`Statement ${i + 1} is longer than ${LIMITS.statementChars} characters.`);
    }
  });
  if (!isWhole(draft.min) || !isWhole(draft.max)) {
    problems.push('The lowest and highest points must be whole numbers.');
  } else if (draft.min < 0 || draft.min >= draft.max) {
    problems.push('The lowest point must be 0 or more and below the highest point.');
  } else if (draft.max - draft.min + 1 > LIMITS.points) {
    problems.push(`A scale can have at most ${LIMITS.points} points, for example 0 to 10.`);
  }
  for (const [label, which] of [
    [draft.labelMin, 'lowest'],
    [draft.labelMax, 'highest'],
  ] as const) {
    if (label.trim().length > LIMITS.labelChars) {
      problems.push(`The words for the ${which} point are longer than ${LIMITS.labelChars} characters.`);
    }
  }
  if (draft.points.length > 0) {
    const count = draft.max - draft.min + 1;
    if (draft.points.length !== count) problems.push('Give words for every point of the scale, or for none.');
    draft.points.forEach((label, i) => {
      const text = label.trim();
      if (!text) problems.push(`Point ${draft.min + i} has no words.`);
      else if (text.length > LIMITS.labelChars) {
        problems.push(`The words for point ${draft.min + i} are longer than ${LIMITS.labelChars} characters.`);
      }
    });
  }
  if (draft.rounds.length > LIMITS.rounds) problems.push(`A scale can have at most ${LIMITS.rounds} rounds.`);
  const seen = new Set<string>();
  draft.rounds.forEach((round, i) => {
    const name = round.trim();
    if (!name) problems.push(`Round ${i + 1} has no name.`);
    else if (seen.has(name)) problems.push(`The round "${name}" is named twice.`);
    else if (name.length > LIMITS.labelChars) {
      problems.push(`Round ${i + 1}'s name is longer than ${LIMITS.labelChars} characters.`);
    }
    seen.add(name);
  });
  return problems;
}

