// The scale: statements rated on a range of points, in named rounds (Before/After).

import { answerKey, type LiveState, type View } from '../../lib/live';
import type { Aggregate, ScaleAggregate } from '../../lib/protocol';
import { defineKind } from '../types';
import ConsolePanel from './ConsolePanel.svelte';
import { fromScaleDraft, newScaleDraft, scaleProblems, toScaleDraft, type ScaleActivity } from './draft';
import Editor from './Editor.svelte';
import { summariseScale } from './format';
import Projector from './Projector.svelte';
import Question from './Question.svelte';
import Results from './Results.svelte';
import Side from './Side.svelte';

/** `results.data` of a scale, by its kind tag. */
export function scaleResults(data: Aggregate | null | undefined): ScaleAggregate | null {
  return data?.kind === 'scale' ? data : null;
}

/** How many statements of a scale (in one round) the participant has chosen an answer for. */
export function answeredCount(live: LiveState, view: View & { activity: ScaleActivity }): number {
  let count = 0;
  for (let i = 0; i < view.activity.statements.length; i++) {
    if (live.answers[answerKey(view.activity.id, view.round, i)]) count++;
  }
  return count;
}

export default defineKind({
  kind: 'scale',
  name: 'Scale',
  addLabel: 'Add a scale',
  newActivity: newScaleDraft,
  toDraft: toScaleDraft,
  fromDraft: fromScaleDraft,
  problems: scaleProblems,
  title: (activity) => activity.title,
  rounds: (activity) => activity.rounds,
  describe(activity) {
    const count = activity.statements.length;
    const statements = `${count} ${count === 1 ? 'statement' : 'statements'}`;
    const rounds = activity.rounds.length > 1 ? `, rounds: ${activity.rounds.join(', ')}` : '';
    return `Scale ${activity.min}–${activity.max}, ${statements}${rounds}`;
  },
  results: scaleResults,
  summarise: summariseScale,
  pageable: true,
  // With results hidden, the projector still shows the statements being asked.
  projectorAlways: true,
  partWay(live, view) {
    const scale = view.activity as ScaleActivity;
    const answered = answeredCount(live, { activity: scale, round: view.round });
    return answered > 0 && answered < scale.statements.length;
  },
  Editor,
  Question,
  PhoneResults: Results,
  Projector,
  Summary: Projector,
  ConsolePanel,
  Compact: Results,
  Side,
});
