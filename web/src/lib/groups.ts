// Participant groups ("About you", issue 14): the question's draft and its checks, and how
// the pages choose what to draw from a results frame's `by_group`. Plain functions, tested in
// `groups.test.ts`; the components (`AboutYouEditor`, `AboutYouQuestion`, `GroupSplit`,
// `ProjectorSplit`, `BookedNumbers`) only call them. Nothing here names a kind: a group's
// results are the kind's own aggregate, drawn by the kind's own components.

import type { AboutYou, AboutYouQuestion, Aggregate, Attendance, Booked, Split } from './protocol';

export type { AboutYou, Booked };

/**
 * The question as a page knows it: the console and the projector with K, a phone without
 * (its `welcome` carries only the prompt and the groups).
 */
export type KnownAboutYou = AboutYouQuestion & { min_group_size?: number };

/** What the projector may show of a split: everyone only, every group beside the total, or one group. */
export type ProjectorSplit = Split | null;

/** A group's figures where they are not for sharing. */
export interface Suppressed {
  suppressed: true;
}

/** The server's limits on the question (it checks them again; these are for early feedback). */
export const ABOUT_YOU_LIMITS = {
  minGroups: 2,
  maxGroups: 8,
  labelChars: 60,
  promptChars: 200,
  minK: 3,
  maxK: 50,
  defaultK: 5,
} as const;

/** The most a booked number may be. */
export const MAX_BOOKED = 100_000;

export const PREFER_NOT = 'Prefer not to say';

// ---------------------------------------------------------------------------------------
// The agenda editor's card.

/** What the "About you" card edits. */
export interface AboutYouDraft {
  on: boolean;
  prompt: string;
  groups: string[];
  /** As typed, so that a half-typed number can be shown and corrected. */
  k: string;
}

export function aboutYouDraft(about: KnownAboutYou | null | undefined): AboutYouDraft {
  if (!about) return { on: false, prompt: 'I am a…', groups: ['', ''], k: String(ABOUT_YOU_LIMITS.defaultK) };
  return {
    on: true,
    prompt: about.prompt,
    groups: [...about.groups],
    k: String(about.min_group_size ?? ABOUT_YOU_LIMITS.defaultK),
  };
}

/** The same words, as the server compares labels: trimmed, spaces folded, any case. */
export function sameLabel(a: string, b: string): boolean {
  const norm = (text: string) => text.normalize('NFKC').trim().replace(/\s+/g, ' ').toLocaleLowerCase();
  return norm(a) === norm(b);
}

/** What stops the card from being saved, in plain words (empty when it is fine, or off). */
export function aboutYouProblems(draft: AboutYouDraft): string[] {
  if (!draft.on) return [];
  const L = ABOUT_YOU_LIMITS;
  const problems: string[] = [];
  const prompt = draft.prompt.trim();
  if (!prompt) problems.push('About you: write the question people answer, such as “I am a…”.');
  else if ([...prompt].length > L.promptChars) problems.push(`About you: the question is longer than ${L.promptChars} characters.`);
  const labels = draft.groups.map((label) => label.trim());
  if (labels.length < L.minGroups) problems.push(`About you: give at least ${L.minGroups} groups.`);
  if (labels.length > L.maxGroups) problems.push(`About you: give at most ${L.maxGroups} groups.`);
  labels.forEach((label, i) => {
    if (!label) problems.push(`About you: group ${i + 1} has no name.`);
    else if ([...label].length > L.labelChars) problems.push(`About you: group ${i + 1} is longer than ${L.labelChars} characters.`);
    else if (labels.slice(0, i).some((other) => sameLabel(other, label))) {
      problems.push(`About you: group ${i + 1} has the same name as one above; people could not tell them apart.`);
    }
  });
  const k = kOf(draft.k);
  if (k === null || k < L.minK || k > L.maxK) {
    problems.push(`About you: the smallest group shown must be a whole number from ${L.minK} to ${L.maxK}.`);
  }
  return problems;
}

function kOf(text: string): number | null {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return null;
  return Number(trimmed);
}

/** The question to send with the agenda: null when the card is off. Only for a draft without problems. */
export function fromAboutYouDraft(draft: AboutYouDraft): AboutYou | null {
  if (!draft.on) return null;
  return {
    prompt: draft.prompt.trim(),
    groups: draft.groups.map((label) => label.trim().replace(/\s+/g, ' ')),
    min_group_size: kOf(draft.k) ?? ABOUT_YOU_LIMITS.defaultK,
  };
}

/** Whether the draft says something else than the session has (saving then sends it). */
export function aboutYouChanged(draft: AboutYouDraft, saved: KnownAboutYou | null | undefined): boolean {
  if (!draft.on || !saved) return draft.on !== !!saved;
  const after = fromAboutYouDraft(draft);
  const k = (about: KnownAboutYou | null) => about?.min_group_size ?? ABOUT_YOU_LIMITS.defaultK;
  return (
    after === null ||
    after.prompt !== saved.prompt ||
    k(after) !== k(saved) ||
    after.groups.length !== saved.groups.length ||
    after.groups.some((label, i) => label !== saved.groups[i])
  );
}

/**
 * Why the question cannot be changed now, or null: once anyone has answered it ("prefer not
 * to say" included), the server refuses (`about_you_in_use`). Known from the session's flag,
 * and from the console's live counts (anyone in a group has answered) between two welcomes.
 */
export function aboutYouLock(
  session: { about_you_answered?: boolean } | null | undefined,
  groups: Record<string, GroupCounts> | null | undefined,
): string | null {
  const inGroups = Object.values(groups ?? {}).reduce((sum, counts) => sum + (counts?.joined ?? 0), 0);
  if (session?.about_you_answered === true || inGroups > 0) {
    return 'People have answered the “About you” question, so it can no longer be changed or removed: their answers would no longer match it. Run the session again to ask another.';
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// The phone.

/** The participant's group in words: its label, or "Prefer not to say". */
export function groupName(groups: readonly string[], group: number | null): string {
  return group === null ? PREFER_NOT : (groups[group] ?? PREFER_NOT);
}

// ---------------------------------------------------------------------------------------
// Results by group.

export function isSuppressed(value: unknown): value is Suppressed {
  return typeof value === 'object' && value !== null && (value as Partial<Suppressed>).suppressed === true;
}

/** A results frame's `by_group`, or null when it has none (no question, or the projector may not split). */
export function byGroupOf(data: Aggregate | null | undefined): Record<string, unknown> | null {
  const by = (data as { by_group?: unknown } | null | undefined)?.by_group;
  if (typeof by !== 'object' || by === null || Array.isArray(by)) return null;
  return Object.keys(by).length > 0 ? (by as Record<string, unknown>) : null;
}

/** The groups the public views suppress (the console marks them "not for sharing"). */
export function smallGroupsOf(data: Aggregate | null | undefined): string[] {
  const small = (data as { small_groups?: unknown } | null | undefined)?.small_groups;
  return Array.isArray(small) ? small.filter((label): label is string => typeof label === 'string') : [];
}

/**
 * The group labels in the question's order. Without the question at hand, the order of the
 * frame's `by_group` (the server keeps the question's order).
 */
export function groupLabels(about: Pick<KnownAboutYou, 'groups'> | null | undefined, data: Aggregate | null | undefined): string[] {
  if (about && about.groups.length > 0) return [...about.groups];
  return Object.keys(byGroupOf(data) ?? {});
}

/** One group's results, as the kind's own components take them (tagged like the total). */
export type GroupResults =
  | { state: 'shown'; data: Aggregate | null }
  | { state: 'suppressed' };

/**
 * A group's results out of a frame: its aggregate (with the total's `kind` tag), null when
 * nobody in it has answered yet, or suppressed.
 */
export function groupResults(data: Aggregate | null | undefined, label: string): GroupResults {
  const entry = byGroupOf(data)?.[label];
  if (isSuppressed(entry)) return { state: 'suppressed' };
  if (!data || typeof entry !== 'object' || entry === null) return { state: 'shown', data: null };
  return { state: 'shown', data: { ...(entry as object), kind: data.kind } as Aggregate };
}

/** One column of a side-by-side view. */
export interface SplitColumn {
  /** "Everyone", or the group's label. */
  label: string;
  /** True for the total. */
  total: boolean;
  results: GroupResults;
  /** The console's mark: the public views show this group as "fewer than K". */
  small: boolean;
}

/** The total first, then every group in the question's order. */
export function splitColumns(data: Aggregate | null | undefined, labels: readonly string[]): SplitColumn[] {
  const small = new Set(smallGroupsOf(data));
  return [
    { label: 'Everyone', total: true, results: { state: 'shown', data: data ?? null }, small: false },
    ...labels.map((label) => ({ label, total: false, results: groupResults(data, label), small: small.has(label) })),
  ];
}

/** The console's own choice of view (it does not change the projector's). */
export type ConsoleView = { mode: 'everyone' } | { mode: 'group'; index: number } | { mode: 'side_by_side' };

/** A selector's value ("everyone", "side_by_side", "group-2") as a view; anything else is everyone. */
export function viewFrom(value: string, groups: number): ConsoleView {
  if (value === 'side_by_side') return { mode: 'side_by_side' };
  const match = /^group-(\d+)$/.exec(value);
  const index = match ? Number(match[1]) : -1;
  return index >= 0 && index < groups ? { mode: 'group', index } : { mode: 'everyone' };
}

/** What the projector draws for the facilitator's `step.split`. */
export type ProjectorDraw =
  | { mode: 'everyone' }
  | { mode: 'group'; label: string; results: GroupResults }
  | { mode: 'side_by_side'; columns: SplitColumn[] };

/**
 * The projector's view: everyone unless the facilitator allowed a split and the frame carries
 * `by_group` (the server leaves it out when the projector may not split).
 */
export function projectorDraw(
  split: ProjectorSplit | undefined,
  about: Pick<KnownAboutYou, 'groups'> | null | undefined,
  data: Aggregate | null | undefined,
): ProjectorDraw {
  if (split === null || split === undefined) return { mode: 'everyone' };
  const labels = groupLabels(about, data);
  if (labels.length === 0) return { mode: 'everyone' };
  if (split === 'side_by_side') return { mode: 'side_by_side', columns: splitColumns(data, labels) };
  const label = labels[split];
  if (label === undefined) return { mode: 'everyone' };
  return { mode: 'group', label, results: groupResults(data, label) };
}

/** What a suppressed group says instead of its figures. */
export function fewerThan(k: number | null | undefined): string {
  return typeof k === 'number' && k > 0 ? `Fewer than ${k} people in this group` : 'Too few people to show';
}

/**
 * How to lay out `n` small multiples in a box of `width` × `height`: the number of columns
 * that gives each cell the most usable area, a cell's width counted up to `wide` times its
 * height and its height up to `1 / tall` times its width (a results panel reads badly as a
 * thin strip either way).
 */
export function gridShape(n: number, width: number, height: number, wide = 1.8, tall = 0.6): { columns: number; rows: number } {
  if (n <= 1 || width <= 0 || height <= 0) return { columns: 1, rows: Math.max(1, n) };
  let best = { columns: n, rows: 1, score: -1 };
  for (let columns = 1; columns <= n; columns += 1) {
    const rows = Math.ceil(n / columns);
    const w = width / columns;
    const h = height / rows;
    const score = Math.min(w, h * wide) * Math.min(h, w / tall);
    if (score > best.score) best = { columns, rows, score };
  }
  return { columns: best.columns, rows: best.rows };
}

// ---------------------------------------------------------------------------------------
// Attendance and booked numbers.

/** The `counts` frame's figures per group (console only). */
export type GroupCounts = Attendance;

/** One row of the console's attendance table. */
export interface AttendanceRow {
  label: string;
  booked: number | null;
  joined: number | null;
  took_part: number | null;
  small: boolean;
}

/** The attendance table: a row per group in the question's order, then "Prefer not to say". */
export function attendanceRows(
  labels: readonly string[],
  groups: Record<string, GroupCounts> | null | undefined,
  notSaid: GroupCounts | null | undefined,
  booked: Booked | null | undefined,
  k: number,
): AttendanceRow[] {
  const rows = labels.map((label, i) => {
    const counts = groups?.[label];
    const took = counts?.took_part ?? null;
    return {
      label,
      booked: booked?.groups?.[i] ?? null,
      joined: counts?.joined ?? null,
      took_part: took,
      small: took !== null && took > 0 && took < k,
    };
  });
  rows.push({
    label: `${PREFER_NOT} or not answered`,
    booked: null,
    joined: notSaid?.joined ?? null,
    took_part: notSaid?.took_part ?? null,
    small: false,
  });
  return rows;
}

/** A booked number as typed: null for empty, NaN for something that is not one. */
export function bookedNumber(text: string): number | null {
  const trimmed = text.trim();
  if (!trimmed) return null;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}

/** What stops booked numbers from being saved (the server's rule: 0–100000, groups not above the total). */
export function bookedProblems(total: string, groups: readonly string[], labels: readonly string[]): string[] {
  const problems: string[] = [];
  const check = (text: string, what: string): number | null => {
    const value = bookedNumber(text);
    if (value !== null && (Number.isNaN(value) || value > MAX_BOOKED)) {
      problems.push(`${what}: type a whole number from 0 to ${MAX_BOOKED.toLocaleString('en-GB')}, or leave it empty.`);
      return null;
    }
    return value;
  };
  const all = check(total, 'Booked in total');
  const each = groups.map((text, i) => check(text, `Booked, ${labels[i] ?? `group ${i + 1}`}`));
  const sum = each.reduce<number>((acc, value) => acc + (value ?? 0), 0);
  if (all !== null && sum > all) {
    problems.push(`The groups add up to ${sum}, more than the ${all} booked in total.`);
  }
  return problems;
}

/** The body of `PUT /api/sessions/{code}/booked` (only for input without problems). */
export function bookedBody(total: string, groups: readonly string[]): Booked {
  const values = groups.map((text) => bookedNumber(text));
  return { total: bookedNumber(total), groups: values.some((value) => value !== null) ? values : null };
}
