// Agenda drafts: what the agenda editor edits, and how it becomes the wire's `Activity`.
//
// The editor works on plain strings (an empty label is "no label"), and keeps each activity's
// server id so that replacing the agenda keeps its answers.

import { isJamboard, isScale, isWordCloud, type ScaleActivity, type WordCloudActivity } from './kinds';
import type { Activity } from './protocol';

/** Limits the server applies (src/activity/scale.rs); checked here for early, plain feedback. */
export const LIMITS = {
  statements: 10,
  rounds: 6,
  points: 11,
  statementChars: 300,
  labelChars: 60,
  titleChars: 200,
  activities: 50,
  entries: 10,
  entryChars: 40,
  stopWords: 200,
  frames: 6,
  frameChars: 60,
  dots: 20,
  notes: 100,
  noteChars: 280,
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

export interface WordCloudDraft {
  kind: 'wordcloud';
  uid: number;
  id: string;
  prompt: string;
  maxEntries: number;
  profanityFilter: boolean;
  /** Extra stop words, as typed: separated by commas or new lines. */
  stopWords: string;
}

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

/**
 * An activity of a kind this editor cannot change (added by a newer server). It is kept
 * exactly as it is, so that saving the agenda never drops it; it can be moved or removed.
 */
export interface OtherDraft {
  kind: 'other';
  uid: number;
  activity: Activity;
}

export type Draft = ScaleDraft | WordCloudDraft | JamboardDraft | OtherDraft;

let uids = 0;
const nextUid = () => ++uids;

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

export function newWordCloudDraft(): WordCloudDraft {
  return { kind: 'wordcloud', uid: nextUid(), id: '', prompt: '', maxEntries: 3, profanityFilter: true, stopWords: '' };
}

export function newJamboardDraft(): JamboardDraft {
  return { kind: 'jamboard', uid: nextUid(), id: '', title: '', frames: [''], dots: 0, notesPerParticipant: 20 };
}

export function toDraft(activity: Activity): Draft {
  if (isScale(activity)) return toScaleDraft(activity);
  if (isWordCloud(activity)) return toWordCloudDraft(activity);
  if (isJamboard(activity)) {
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
  return { kind: 'other', uid: nextUid(), activity: structuredClone(activity) };
}

function toWordCloudDraft(activity: WordCloudActivity): WordCloudDraft {
  return {
    kind: 'wordcloud',
    uid: nextUid(),
    id: activity.id,
    prompt: activity.prompt,
    maxEntries: activity.max_entries,
    profanityFilter: activity.profanity_filter,
    stopWords: activity.stop_words.join(', '),
  };
}

function toScaleDraft(activity: ScaleActivity): ScaleDraft {
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

export function fromDraft(draft: Draft): Activity {
  switch (draft.kind) {
    case 'scale':
      return fromScaleDraft(draft);
    case 'wordcloud':
      return fromWordCloudDraft(draft);
    case 'jamboard':
      return {
        id: draft.id,
        kind: 'jamboard',
        title: draft.title.trim(),
        frames: draft.frames.map((frame) => frame.trim()),
        dots: draft.dots,
        notes_per_participant: draft.notesPerParticipant,
      };
    default:
      return draft.activity;
  }
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

/** "a, b\nc" → ["a", "b", "c"], without blanks or repeats. */
export function splitWords(text: string): string[] {
  const words = text
    .split(/[,\n]/)
    .map((word) => word.trim())
    .filter((word) => word !== '');
  return [...new Set(words)];
}

function fromWordCloudDraft(draft: WordCloudDraft): Activity {
  return {
    id: draft.id,
    kind: 'wordcloud',
    prompt: draft.prompt.trim(),
    max_entries: draft.maxEntries,
    profanity_filter: draft.profanityFilter,
    stop_words: splitWords(draft.stopWords),
  };
}

function fromScaleDraft(draft: ScaleDraft): Activity {
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

const isWhole = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n);

/** What stops a draft from being saved, in plain words (empty when it is fine). */
export function draftProblems(draft: Draft): string[] {
  switch (draft.kind) {
    case 'scale':
      return scaleProblems(draft);
    case 'wordcloud':
      return wordCloudProblems(draft);
    case 'jamboard':
      return jamboardProblems(draft);
    default:
      return [];
  }
}

function jamboardProblems(draft: JamboardDraft): string[] {
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

function wordCloudProblems(draft: WordCloudDraft): string[] {
  const problems: string[] = [];
  const prompt = draft.prompt.trim();
  if (!prompt) problems.push('The question is empty.');
  else if (prompt.length > LIMITS.titleChars) problems.push(`The question is longer than ${LIMITS.titleChars} characters.`);
  if (!isWhole(draft.maxEntries) || draft.maxEntries < 1 || draft.maxEntries > LIMITS.entries) {
    problems.push(`Allow each person 1 to ${LIMITS.entries} entries.`);
  }
  const words = splitWords(draft.stopWords);
  if (words.length > LIMITS.stopWords) problems.push(`Add at most ${LIMITS.stopWords} words to leave out.`);
  const long = words.find((word) => word.length > LIMITS.entryChars);
  if (long) problems.push(`“${long.slice(0, 20)}…” is longer than ${LIMITS.entryChars} characters.`);
  return problems;
}

function scaleProblems(draft: ScaleDraft): string[] {
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

/** Problems of a whole agenda, each prefixed with its activity's number. */
export function agendaProblems(drafts: Draft[]): string[] {
  const problems: string[] = [];
  if (drafts.length > LIMITS.activities) problems.push(`An agenda can hold at most ${LIMITS.activities} activities.`);
  drafts.forEach((draft, i) => {
    for (const problem of draftProblems(draft)) problems.push(`Activity ${i + 1}: ${problem}`);
  });
  return problems;
}
