// Ranking: 2–10 items put in order, results by mean rank with Borda points, in named rounds.

import type { Aggregate } from '../../lib/protocol';
import type { RankingActivity, RankingAggregate } from '../choice/wire';
import { defineKind } from '../types';
import ConsolePanel from './ConsolePanel.svelte';
import { fromRankingDraft, newRankingDraft, rankingProblems, toRankingDraft } from './draft';
import Editor from './Editor.svelte';
import { summariseRanking } from './order';
import Projector from './Projector.svelte';
import Question from './Question.svelte';
import Results from './Results.svelte';
import Side from './Side.svelte';

/** `results.data` of a ranking, by its kind tag. */
export function rankingResults(data: Aggregate | null | undefined): RankingAggregate | null {
  return (data as { kind?: string } | null | undefined)?.kind === 'ranking' ? (data as unknown as RankingAggregate) : null;
}

export default defineKind({
  kind: 'ranking',
  name: 'Ranking',
  addLabel: 'Add a ranking',
  newActivity: newRankingDraft,
  toDraft: toRankingDraft,
  fromDraft: fromRankingDraft,
  problems: rankingProblems,
  title: (activity: RankingActivity) => activity.title,
  rounds: (activity: RankingActivity) => activity.rounds,
  describe(activity: RankingActivity) {
    const rounds = activity.rounds.length > 1 ? `, rounds: ${activity.rounds.join(', ')}` : '';
    return `Ranking of ${activity.items.length} items${rounds}`;
  },
  results: rankingResults,
  summarise: summariseRanking,
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
