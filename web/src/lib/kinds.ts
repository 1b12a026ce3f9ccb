// The activity kinds, narrowed from the wire's unions.

import type { Activity, Aggregate, JamboardAggregate, ScaleAggregate, WordCloudAggregate } from './protocol';

export type ScaleActivity = Extract<Activity, { kind: 'scale' }>;
export type WordCloudActivity = Extract<Activity, { kind: 'wordcloud' }>;
export type JamboardActivity = Extract<Activity, { kind: 'jamboard' }>;

export const isScale = (activity: Activity): activity is ScaleActivity => activity.kind === 'scale';
export const isWordCloud = (activity: Activity): activity is WordCloudActivity => activity.kind === 'wordcloud';
export const isJamboard = (activity: Activity): activity is JamboardActivity => activity.kind === 'jamboard';

/** Kinds this version of the pages can show; others get a plain "not here yet" note. */
export const KNOWN_KINDS: readonly string[] = ['scale', 'wordcloud', 'jamboard'];

/** What a list shows for an activity: its title, or its question. */
export function activityTitle(activity: Activity): string {
  const fields = activity as { title?: unknown; prompt?: unknown };
  if (typeof fields.title === 'string' && fields.title) return fields.title;
  if (typeof fields.prompt === 'string' && fields.prompt) return fields.prompt;
  return 'Untitled activity';
}

/** The named rounds of an activity (only scales have them). */
export function activityRounds(activity: Activity): string[] {
  return isScale(activity) ? activity.rounds : [];
}

/** A kind's name for people. */
export function kindName(activity: Activity): string {
  switch (activity.kind as string) {
    case 'scale':
      return 'Scale';
    case 'wordcloud':
      return 'Word cloud';
    case 'jamboard':
      return 'Jam board';
    default:
      return 'Activity';
  }
}

// `results.data` is untagged on the wire: the activity it belongs to says which it is.

export function scaleResults(data: Aggregate | null): ScaleAggregate | null {
  return data && 'statements' in data ? data : null;
}

export function wordCloudResults(data: Aggregate | null): WordCloudAggregate | null {
  return data && 'entries' in data ? data : null;
}

export function jamboardResults(data: Aggregate | null): JamboardAggregate | null {
  return data && 'frames' in data ? data : null;
}
