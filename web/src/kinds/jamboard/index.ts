// The jam board: sticky notes in frames, arranged and themed by the facilitator, with dot voting.

import { plural } from '../../lib/format';
import type { Aggregate, JamboardAggregate } from '../../lib/protocol';
import { defineKind } from '../types';
import Compact from './Compact.svelte';
import ConsolePanel from './ConsolePanel.svelte';
import { fromJamboardDraft, jamboardProblems, newJamboardDraft, toJamboardDraft } from './draft';
import Editor from './Editor.svelte';
import { summariseBoard } from './format';
import PhoneResults from './PhoneResults.svelte';
import Projector from './Projector.svelte';
import Question from './Question.svelte';
import Side from './Side.svelte';
import Summary from './Summary.svelte';

/** `results.data` of a jam board, by its kind tag. */
export function jamboardResults(data: Aggregate | null | undefined): JamboardAggregate | null {
  return data?.kind === 'jamboard' ? data : null;
}

export default defineKind({
  kind: 'jamboard',
  name: 'Jam board',
  addLabel: 'Add a jam board',
  newActivity: newJamboardDraft,
  toDraft: toJamboardDraft,
  fromDraft: fromJamboardDraft,
  problems: jamboardProblems,
  title: (activity) => activity.title,
  rounds: () => [],
  describe(activity) {
    const voting = activity.dots > 0 ? `, ${activity.dots} dots each for voting` : '';
    return `Jam board: ${activity.frames.join(', ')}${voting}`;
  },
  results: jamboardResults,
  summarise: (_activity, data) => summariseBoard(data),
  pageable: true,
  projectorAlways: false,
  projectorPill(data) {
    if (data?.voting) return { text: `Dot voting: ${plural(data.dots, 'dot')} each`, strong: true };
    if (data?.locked) return { text: 'Board locked' };
    return null;
  },
  // While dot voting is on, phones get the notes to vote on, revealed or not.
  phoneResults: (step) => (step.voting ? 'Vote with your dots' : null),
  // The dots' refusals are said beside the dots left.
  phoneNotice: (data) => data?.voting === true,
  Editor,
  Question,
  PhoneResults,
  Projector,
  Summary,
  ConsolePanel,
  Side,
  Compact,
});
