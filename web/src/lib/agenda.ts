// Agenda drafts: what the agenda editor edits, and how it becomes the wire's `Activity`.
//
// Each kind's draft lives in its folder (`web/src/kinds/<kind>/draft.ts`); this file only
// dispatches through the registry, and keeps activities of kinds this page does not know.

import { kindNamed, kindOf } from '../kinds/registry';
import type { DraftBase } from '../kinds/types';
import { SHARED_LIMITS, nextUid } from './limits';
import type { Activity } from './protocol';

export { SHARED_LIMITS as LIMITS };

/**
 * An activity of a kind this editor cannot change (added by a newer server). It is kept
 * exactly as it is, so that saving the agenda never drops it; it can be moved or removed.
 */
export interface OtherDraft {
  kind: 'other';
  uid: number;
  activity: Activity;
}

/** One activity as the editor holds it: its kind's own draft, or one kept as it is. */
export type Draft = DraftBase | OtherDraft;

const isOther = (draft: Draft): draft is OtherDraft => draft.kind === 'other' && 'activity' in draft;

export function toDraft(activity: Activity): Draft {
  const entry = kindOf(activity);
  if (entry) return entry.toDraft(activity);
  return { kind: 'other', uid: nextUid(), activity: structuredClone(activity) };
}

export function fromDraft(draft: Draft): Activity {
  if (isOther(draft)) return draft.activity;
  const entry = kindNamed(draft.kind);
  if (!entry) throw new Error(`no kind "${draft.kind}" for this draft`);
  return entry.fromDraft(draft);
}

/** The server id of a draft's activity; empty for one not saved yet. */
export function draftId(draft: Draft): string {
  return isOther(draft) ? draft.activity.id : (draft as DraftBase).id;
}

/** What stops a draft from being saved, in plain words (empty when it is fine). */
export function draftProblems(draft: Draft): string[] {
  if (isOther(draft)) return [];
  return kindNamed(draft.kind)?.problems(draft) ?? [];
}

/** Problems of a whole agenda, each prefixed with its activity's number. */
export function agendaProblems(drafts: Draft[]): string[] {
  const problems: string[] = [];
  if (drafts.length > SHARED_LIMITS.activities) problems.push(`An agenda can hold at most ${SHARED_LIMITS.activities} activities.`);
  drafts.forEach((draft, i) => {
    for (const problem of draftProblems(draft)) problems.push(`Activity ${i + 1}: ${problem}`);
  });
  return problems;
}
