// Points: a budget (100 unless set, 10–1,000) spread over 2–10 items; total and mean per item.

import type { Aggregate } from '../../lib/protocol';
import type { PointsActivity, PointsAggregate } from '../choice/wire';
import { defineKind } from '../types';
import { summarisePoints } from './budget';
import ConsolePanel from './ConsolePanel.svelte';
import { fromPointsDraft, newPointsDraft, pointsProblems, toPointsDraft } from './draft';
import Editor from './Editor.svelte';
import Projector from './Projector.svelte';
import Question from './Question.svelte';
import Results from './Results.svelte';
import Side from './Side.svelte';

/** `results.data` of points, by its kind tag. */
export function pointsResults(data: Aggregate | null | undefined): PointsAggregate | null {
  return (data as { kind?: string } | null | undefined)?.kind === 'points' ? (data as unknown as PointsAggregate) : null;
}

export default defineKind({
  kind: 'points',
  name: 'Points',
  addLabel: 'Add points to spread',
  newActivity: newPointsDraft,
  toDraft: toPointsDraft,
  fromDraft: fromPointsDraft,
  problems: pointsProblems,
  title: (activity: PointsActivity) => activity.title,
  rounds: (activity: PointsActivity) => activity.rounds,
  describe(activity: PointsActivity) {
    const rounds = activity.rounds.length > 1 ? `, rounds: ${activity.rounds.join(', ')}` : '';
    return `Points: ${activity.budget} over ${activity.items.length} items${rounds}`;
  },
  results: pointsResults,
  summarise: summarisePoints,
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
