// The word cloud: words or short phrases, grouped, sized by how often they were given.

import type { Aggregate, WordCloudAggregate } from '../../lib/protocol';
import { defineKind } from '../types';
import Compact from './Compact.svelte';
import ConsolePanel from './ConsolePanel.svelte';
import { fromWordCloudDraft, newWordCloudDraft, toWordCloudDraft, wordCloudProblems } from './draft';
import Editor from './Editor.svelte';
import { summariseCloud } from './format';
import Projector from './Projector.svelte';
import Question from './Question.svelte';
import Results from './Results.svelte';
import Side from './Side.svelte';
import Summary from './Summary.svelte';

/** `results.data` of a word cloud, by its kind tag. */
export function wordCloudResults(data: Aggregate | null | undefined): WordCloudAggregate | null {
  return data?.kind === 'wordcloud' ? data : null;
}

export default defineKind({
  kind: 'wordcloud',
  name: 'Word cloud',
  addLabel: 'Add a word cloud',
  newActivity: newWordCloudDraft,
  toDraft: toWordCloudDraft,
  fromDraft: fromWordCloudDraft,
  problems: wordCloudProblems,
  title: (activity) => activity.prompt,
  rounds: () => [],
  describe(activity) {
    const n = activity.max_entries;
    return `Word cloud, up to ${n} ${n === 1 ? 'entry' : 'entries'} each`;
  },
  results: wordCloudResults,
  summarise: (_activity, data) => summariseCloud(data),
  pageable: false,
  projectorAlways: false,
  Editor,
  Question,
  PhoneResults: Results,
  Projector,
  Summary,
  ConsolePanel,
  Compact,
  Side,
});
