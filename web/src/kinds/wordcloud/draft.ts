// A word cloud in the agenda editor, and how it becomes the wire's activity.

import { SHARED_LIMITS, isWhole, nextUid } from '../../lib/limits';
import type { Activity } from '../../lib/protocol';
import type { ActivityOf } from '../types';

export type WordCloudActivity = ActivityOf<'wordcloud'>;

/** Limits the server applies (src/activity/wordcloud.rs). */
export const LIMITS = {
  ...SHARED_LIMITS,
  entries: 10,
  entryChars: 40,
  stopWords: 200,
} as const;

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

export function newWordCloudDraft(): WordCloudDraft {
  return { kind: 'wordcloud', uid: nextUid(), id: '', prompt: '', maxEntries: 3, profanityFilter: true, stopWords: '' };
}

export function toWordCloudDraft(activity: WordCloudActivity): WordCloudDraft {
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

/** "a, b\nc" → ["a", "b", "c"], without blanks or repeats. */
export function splitWords(text: string): string[] {
  const words = text
    .split(/[,\n]/)
    .map((word) => word.trim())
    .filter((word) => word !== '');
  return [...new Set(words)];
}

export function fromWordCloudDraft(draft: WordCloudDraft): Activity {
  return {
    id: draft.id,
    kind: 'wordcloud',
    prompt: draft.prompt.trim(),
    max_entries: draft.maxEntries,
    profanity_filter: draft.profanityFilter,
    stop_words: splitWords(draft.stopWords),
  };
}

export function wordCloudProblems(draft: WordCloudDraft): string[] {
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
