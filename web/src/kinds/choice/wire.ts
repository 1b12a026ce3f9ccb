// The wire's shapes of the three one-message kinds (choice, ranking, points), as fixed in the
// protocol's "More activity kinds". Declared here until `lib/protocol.ts` is generated with
// them; the kinds import their types from this one file so that the switch is one edit.

/** A multiple choice: 2–12 options, up to `max_choices` chosen. */
export interface ChoiceActivity {
  id: string;
  kind: 'choice';
  title: string;
  options: string[];
  max_choices: number;
  rounds: string[];
}

/** A ranking: 2–10 items put in order, first = top. */
export interface RankingActivity {
  id: string;
  kind: 'ranking';
  title: string;
  items: string[];
  rounds: string[];
}

/** Points: a budget spread over 2–10 items. */
export interface PointsActivity {
  id: string;
  kind: 'points';
  title: string;
  items: string[];
  budget: number;
  rounds: string[];
}

/** Rounds are keyed by name; a kind without rounds uses the name "". */
export type ByRound<T> = Partial<Record<string, T>>;

export interface ChoiceAggregate {
  kind: 'choice';
  options: { text: string; rounds: ByRound<{ count: number }> }[];
  /** How many people answered each round (shares are of them). */
  rounds: ByRound<{ n: number }>;
}

export interface RankingRound {
  n: number;
  mean_rank: number | null;
  /** Borda points: an item ranked r-th of k gets k − r. */
  points: number;
  /** How many put it first. */
  first: number;
}

export interface RankingAggregate {
  kind: 'ranking';
  items: { text: string; rounds: ByRound<RankingRound> }[];
}

export interface PointsRound {
  n: number;
  total: number;
  mean: number | null;
}

export interface PointsAggregate {
  kind: 'points';
  items: { text: string; rounds: ByRound<PointsRound> }[];
}

/** The participant's saved answer (`mine`), with the fields of these kinds. */
export interface MineOfKinds {
  choices?: number[] | null;
  order?: number[] | null;
  points?: number[] | null;
}

/** A kind's component props with its own activity (until `Activity` in protocol.ts has it). */
export type WithActivity<P, A> = Omit<P, 'activity'> & { activity: A };
