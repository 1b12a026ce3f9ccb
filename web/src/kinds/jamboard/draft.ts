// A jam board in the agenda editor, and how it becomes the wire's activity.

import { SHARED_LIMITS, isWhole, nextUid } from '../../lib/limits';
import type { Activity } from '../../lib/protocol';
import type { ActivityOf } from '../types';

export type JamboardActivity = ActivityOf<'jamboard'>;

/** Limits the server applies (src/activity/jamboard.rs). */
export const LIMITS = {
  ...SHARED_LIMITS,
  frames: 6,
  frameChars: 60,
  dots: 20,
  notes: 100,
  noteChars: 280,
} as const;

export interface JamboardDraft {
  kind: 'jamboard';
  uid: number;
  id: string;
  title: string;
  frames: string[];
  /** Dots each person may spend when voting is on; 0 for no voting. */
  dots: number;
  notesPerParticipant: number;
}

export function newJamboardDraft(): JamboardDraft {
  return { kind: 'jamboard', uid: nextUid(), id: '', title: '', frames: [''], dots: 0, notesPerParticipant: 20 };
}

export function toJamboardDraft(activity: JamboardActivity): JamboardDraft {
  return {
    kind: 'jamboard',
    uid: nextUid(),
    id: activity.id,
    title: activity.title,
    frames: [...activity.frames],
    dots: activity.dots,
    notesPerParticipant: activity.notes_per_participant,
  };
}

export function fromJamboardDraft(draft: JamboardDraft): Activity {
  return {
    id: draft.id,
    kind: 'jamboard',
    title: draft.title.trim(),
    frames: draft.frames.map((frame) => frame.trim()),
    dots: draft.dots,
    notes_per_participant: draft.notesPerParticipant,
  };
}

export function jamboardProblems(draft: JamboardDraft): string[] {
  const problems: string[] = [];
  if (draft.title.trim().length > LIMITS.titleChars) problems.push(`The title is longer than ${LIMITS.titleChars} characters.`);
  if (draft.frames.length === 0 || draft.frames.length > LIMITS.frames) {
    problems.push(`A jam board needs 1 to ${LIMITS.frames} frames.`);
  }
  draft.frames.forEach((frame, i) => {
    if (!frame.trim()) problems.push(`Frame ${i + 1} has no title.`);
    else if (frame.trim().length > LIMITS.frameChars) {
      problems.push(`Frame ${i + 1}'s title is longer than ${LIMITS.frameChars} characters.`);
    }
  });
  if (!isWhole(draft.dots) || draft.dots < 0 || draft.dots > LIMITS.dots) {
    problems.push(`Give each person 0 to ${LIMITS.dots} dots.`);
  }
  if (!isWhole(draft.notesPerParticipant) || draft.notesPerParticipant < 1 || draft.notesPerParticipant > LIMITS.notes) {
    problems.push(`Allow each person 1 to ${LIMITS.notes} notes.`);
  }
  return problems;
}
