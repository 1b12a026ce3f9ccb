// The one list of activity kinds the pages know. Adding a kind: its folder under
// `web/src/kinds/<kind>/` (see `types.ts` for what it exports), its import here and its
// entry in `KINDS`.

import type { Activity, Aggregate } from '../lib/protocol';
import choice from './choice';
import jamboard from './jamboard';
import points from './points';
import ranking from './ranking';
import scale from './scale';
import type { AnyKind } from './types';
import wordcloud from './wordcloud';

/** Every kind, in the order the agenda editor offers them. */
export const KINDS: readonly AnyKind[] = [
  scale,
  wordcloud,
  jamboard,
  choice,
  ranking,
  points,
];

const byName = new Map<string, AnyKind>(KINDS.map((entry) => [entry.kind, entry]));

/** The entry of a kind by its wire name; undefined for a kind this version does not know. */
export function kindNamed(name: string): AnyKind | undefined {
  return byName.get(name);
}

/** The entry of an activity's kind; undefined for a kind this version does not know. */
export function kindOf(activity: Pick<Activity, 'kind'>): AnyKind | undefined {
  return byName.get(activity.kind);
}

/** The kind a new agenda starts with (the front page's first activity). */
export const FIRST_KIND: AnyKind = KINDS[0] as AnyKind;

/** What a list shows for an activity: its title, or its question; a plain name for an unknown kind. */
export function activityTitle(activity: Activity): string {
  const entry = kindOf(activity);
  if (entry) return entry.title(activity) || 'Untitled activity';
  // A kind added by a newer server: most kinds have a title, a word cloud a prompt.
  const fields = activity as { title?: unknown; prompt?: unknown };
  if (typeof fields.title === 'string' && fields.title) return fields.title;
  if (typeof fields.prompt === 'string' && fields.prompt) return fields.prompt;
  return 'Untitled activity';
}

/** The named rounds of an activity; empty for a kind without rounds (or unknown). */
export function activityRounds(activity: Activity): string[] {
  return kindOf(activity)?.rounds(activity) ?? [];
}

/** A kind's name for people: "Scale"; "Activity" for one this version does not know. */
export function kindName(activity: Pick<Activity, 'kind'>): string {
  return kindOf(activity)?.name ?? 'Activity';
}

/** The live-region summary of any activity's results ('' for none, or an unknown kind). */
export function summariseResults(activity: Activity, data: Aggregate | null, round: string | null): string {
  const entry = kindOf(activity);
  const results = entry?.results(data);
  return entry && results ? entry.summarise(activity, results, round) : '';
}
