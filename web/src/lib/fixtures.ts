// Test data shaped like the server's frames.

import type { JamboardActivity } from '../kinds/jamboard/draft';
import type { ScaleActivity } from '../kinds/scale/draft';
import type { WordCloudActivity } from '../kinds/wordcloud/draft';
import type { Activity, Aggregate, RoundStats, StepView } from './protocol';

type Tagged<K extends Aggregate['kind']> = Extract<Aggregate, { kind: K }>;

export const scale: ScaleActivity = {
  id: 'a1',
  kind: 'scale',
  title: 'How do you feel about co-production?',
  statements: ['I understand the term co-production', 'I know how to use co-production'],
  min: 1,
  max: 5,
  labels: { min: 'Not at all', max: 'Completely', points: [] },
  rounds: ['Before', 'After'],
};

export function stats(counts: number[], min = 1): RoundStats {
  const n = counts.reduce((a, b) => a + b, 0);
  const total = counts.reduce((sum, c, i) => sum + c * (min + i), 0);
  return { n, mean: n ? total / n : null, median: null, counts };
}

export const aggregate: Tagged<'scale'> = {
  kind: 'scale',
  statements: [
    {
      text: 'I understand the term co-production',
      // Deliberately not in the activity's order: the activity's order wins.
      rounds: { After: stats([0, 0, 1, 2, 2]), Before: stats([1, 2, 2, 0, 0]) },
      paired: { n: 4, mean_change: 1.75 },
    },
    {
      text: 'I know how to use co-production',
      rounds: { Before: stats([0, 0, 0, 0, 0]), After: stats([0, 0, 0, 0, 0]) },
      paired: { n: 0, mean_change: null },
    },
  ],
};

export function stepOf(activity: Activity | null, round: string | null = null, open = true, reveal = false): StepView {
  return {
    activity,
    round,
    open,
    reveal,
    voting: false,
    index: activity ? 0 : null,
    total: 1,
    projector: true,
    page: null,
    timer: null,
    still_open: [],
    split: null,
  };
}

export const cloud: WordCloudActivity = {
  id: 'w1',
  kind: 'wordcloud',
  prompt: 'What word would you use instead of co-production?',
  max_entries: 3,
  profanity_filter: true,
  stop_words: [],
};

export const words: Tagged<'wordcloud'> = {
  kind: 'wordcloud',
  entries: [
    { id: 'famili', text: 'family', count: 3, hidden: false },
    { id: 'trust', text: 'trust', count: 2, hidden: false },
    { id: 'rude', text: 'rude', count: 2, hidden: true },
    { id: 'time', text: 'time', count: 1, hidden: false },
  ],
  // As the server counts them: without the hidden entry.
  total: 6,
  groups: 4,
  participants: 5,
};

export const board: JamboardActivity = {
  id: 'j1',
  kind: 'jamboard',
  title: 'What gets in the way?',
  frames: ['Barriers', 'Successes'],
  dots: 3,
  notes_per_participant: 20,
};

export const notes: Tagged<'jamboard'> = {
  kind: 'jamboard',
  frames: [
    {
      title: 'Barriers',
      notes: [
        { id: '1', text: 'Time', color: 'yellow', x: null, y: null, theme: 1, votes: 2, hidden: false },
        { id: '2', text: 'Rude words', color: 'pink', x: 0.5, y: 0.5, theme: null, votes: 0, hidden: true },
      ],
    },
    { title: 'Successes', notes: [] },
  ],
  themes: [{ id: 1, name: 'Resources' }],
  keywords: [{ text: 'time', count: 1 }],
  locked: false,
  voting: true,
  dots: 3,
};
