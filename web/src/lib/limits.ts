// Limits the server applies to every kind (src/activity/); checked on the page for early,
// plain feedback. A kind's own limits live in its folder (`web/src/kinds/<kind>/draft.ts`).

export const SHARED_LIMITS = {
  /** Characters in an activity's title (or question). */
  titleChars: 200,
  /** Activities in one agenda. */
  activities: 50,
} as const;

let uids = 0;

/** A key for the agenda editor's lists: unique on the page, never sent. */
export function nextUid(): number {
  return ++uids;
}

export const isWhole = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n);
