// Multiple choice: 2–12 options, one choice or up to K, in named rounds (Before/After).

import type { Aggregate } from '../../lib/protocol';
import { defineKind } from '../types';
import ConsolePanel from './ConsolePanel.svelte';
import { choiceProblems, fromChoiceDraft, newChoiceDraft, toChoiceDraft } from './draft';
import Editor from './Editor.svelte';
import { summariseChoice } from './format';
import Projector from './Projector.svelte';
import Question from './Question.svelte';
import Results from './Results.svelte';
import Side from './Side.svelte';
import type { ChoiceActivity, ChoiceAggregate } from './wire';

/** `results.data` of a choice, by its kind tag. */
export function choiceResults(data: Aggregate | null | undefined): ChoiceAggregate | null {
  return (data as { kind?: string } | null | undefined)?.kind === 'choice' ? (data as unknown as ChoiceAggregate) : null;
}

export default defineKind({
  kind: 'choice',
  name: 'Choice',
  addLabel: 'Add a choice',
  newActivity: newChoiceDraft,
  toDraft: toChoiceDraft,
  fromDraft: fromChoiceDraft,
  problems: choiceProblems,
  title: (activity: ChoiceActivity) => activity.title,
  rounds: (activity: ChoiceActivity) => activity.rounds,
  describe(activity: ChoiceActivity) {
    const limit = activity.max_choices > 1 ? `up to ${activity.max_choices} of` : 'one of';
    const rounds = activity.rounds.length > 1 ? `, rounds: ${activity.rounds.join(', ')}` : '';
    return `Choice: ${limit} ${activity.options.length} options${rounds}`;
  },
  results: choiceResults,
  summarise: summariseChoice,
  pageable: false,
  projectorAlways: false,
  Editor,
  Question,
  PhoneResults: Results,
  Projector,
  Summary: Projector,
  ConsolePanel,
  Compact: Results,
  Side,
});
