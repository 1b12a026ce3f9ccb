// What a kind of activity gives the pages. Every kind lives in its own folder under
// `web/src/kinds/<kind>/` and exports one `Kind` (built with `defineKind`) from its
// `index.ts`; `registry.ts` lists them. The pages (console, phone, projector, agenda editor)
// render only through these entries and never branch on a kind's name.

import type { Component } from 'svelte';

import type { Connection, HostRequest } from '../lib/connection.svelte';
import type { LiveState, RequestSlot, View } from '../lib/live';
import type { Activity, Aggregate, StepView } from '../lib/protocol';

/** An activity of one kind, narrowed from the wire's union by its `kind` tag. */
export type ActivityOf<K extends string> = Extract<Activity, { kind: K }>;

/**
 * What the agenda editor edits for one activity. A kind adds its own fields; `kind` is the
 * wire's kind name, `uid` a key for the editor's lists (never sent), `id` the server's id
 * (empty for an activity not saved yet: saving keeps the answers of the ids it sends back).
 */
export interface DraftBase {
  kind: string;
  uid: number;
  id: string;
}

/** The agenda editor's card for one activity: title, settings, and `EditorActions` at its foot. */
export interface EditorProps<Dr extends DraftBase> {
  /** Bindable: the card edits it in place. */
  draft: Dr;
  index: number;
  count: number;
  /** Mark empty fields once the person has tried to save. */
  showErrors?: boolean;
  onmove: (by: -1 | 1) => void;
  /** Null when the activity cannot be removed (people have answered it). */
  onremove: (() => void) | null;
}

/**
 * The phone's question. It sends answers through `connection` and reads its own answers
 * (and how they went) from `live`. The heading of the question carries `id="question-title"`
 * (the page moves the focus there).
 */
export interface QuestionProps<A extends Activity, D> {
  activity: A;
  round: string | null;
  /** Whether answers are accepted now. */
  open: boolean;
  live: LiveState;
  connection: Connection;
  /** The current results while the phone shows them (see `Kind.phoneResults`), else null. */
  results: D | null;
}

/** The results under the question on a phone, while they are revealed (or `phoneResults` says so). */
export interface PhoneResultsProps<A extends Activity, D> {
  activity: A;
  data: D | null;
  round: string | null;
  live: LiveState;
  connection: Connection;
}

/** The projector's results, large, readable from the back of the room, nothing to click. */
export interface ProjectorProps<A extends Activity, D> {
  activity: A;
  data: D | null;
  round: string | null;
  /** False while the facilitator keeps results off the projector (only kinds with `projectorAlways`). */
  showResults: boolean;
  /** The facilitator's page (`step.page`); null: pages turn by themselves. */
  page: number | null;
}

/**
 * A kind's results in little room, with nothing to click: one column of a split by group
 * (side by side on the console and the projector, the total first). The page gives it one
 * group's aggregate (or the total's).
 */
export interface CompactProps<A extends Activity, D> {
  activity: A;
  data: D | null;
  round: string | null;
}

/** One column of a split by group: the total ("Everyone") or one group. */
export interface SideColumn<D> {
  label: string;
  total: boolean;
  /** Null: nobody in it has answered yet (or its figures are suppressed). */
  data: D | null;
  /** Its figures are not shown: the page's `fewer` text stands in their place. */
  suppressed: boolean;
}

/**
 * A kind's results for every group at once, on the projector: one table or chart with a
 * column per group (the total first), readable from the back of the room. Optional: a kind
 * without it is drawn as small multiples of its `Compact` results.
 */
export interface SideProps<A extends Activity, D> {
  activity: A;
  columns: SideColumn<D>[];
  round: string | null;
  /** What a suppressed column says: "Fewer than 5 people in this group". */
  fewer: string;
}

/** One part of the projector's closing summary. */
export interface SummaryProps<A extends Activity, D> {
  activity: A;
  data: D | null;
  /** Bindable: how many pages the part takes (the summary stays that many page turns). */
  pages?: number;
}

/** What the console gives a kind's panel to talk to the server with. */
export interface HostTools {
  /** Sends a request, announced as `label` once the server has done it; returns its id. */
  send: (body: HostRequest, label: string) => number;
  /** Sends a request without announcing it (a note dragged across the board). */
  quiet: (body: HostRequest) => number;
  /** How the request with this id went, for `RequestStatus`; undefined for none. */
  slotOf: (id: number | null) => RequestSlot | undefined;
  /** Says something to screen readers. */
  announce: (text: string) => void;
}

/**
 * The console's panel under "Now showing": the live results and the kind's own controls
 * (moderation, lock, …). The ids of its requests, to show how they went, are its own state.
 */
export interface ConsolePanelProps<A extends Activity, D> {
  activity: A;
  data: D | null;
  round: string | null;
  /** Closed session, or no connection: nothing can be sent. */
  disabled: boolean;
  host: HostTools;
}

/** A short status on the projector's title bar ("Dot voting: 3 dots each"). */
export interface Pill {
  text: string;
  /** Drawn in the accent colour. */
  strong?: boolean;
}

/** Everything the pages know about one kind. */
export interface Kind<K extends string, D, Dr extends DraftBase> {
  /** The wire's kind name: `"scale"`. */
  kind: K;
  /** For people: "Scale". */
  name: string;
  /** The agenda editor's button: "Add a scale". */
  addLabel: string;

  // The agenda.
  /** A new, empty activity of this kind as the editor edits it. */
  newActivity: () => Dr;
  toDraft: (activity: ActivityOf<K>) => Dr;
  fromDraft: (draft: Dr) => Activity;
  /** What stops a draft from being saved, in plain words (empty when it is fine). */
  problems: (draft: Dr) => string[];

  // Lists and headings.
  /** What a list shows for the activity. */
  title: (activity: ActivityOf<K>) => string;
  /** Its named rounds, in order; empty for a kind without rounds. */
  rounds: (activity: ActivityOf<K>) => string[];
  /** One line about its set-up, for the console's steps: "Scale 1–5, 4 statements". */
  describe: (activity: ActivityOf<K>) => string;

  // Results.
  /** `results.data` narrowed by its `kind` tag; null for another kind's (or none). */
  results: (data: Aggregate | null | undefined) => D | null;
  /** The results in a sentence or two, for screen readers (live regions). */
  summarise: (activity: ActivityOf<K>, data: D, round: string | null) => string;

  // How the pages treat it.
  /** The console offers to hold the projector on one page (the kind's projector has pages). */
  pageable: boolean;
  /** The projector draws the kind even while results are hidden (a scale shows its statements). */
  projectorAlways: boolean;
  /** A status for the projector's title bar, before "Answers are closed"; null for none. */
  projectorPill?: (data: D | null) => Pill | null;
  /**
   * The heading of the phone's results while they are not revealed but still shown (a jam
   * board's notes while dot voting is on); null: not shown.
   */
  phoneResults?: (step: StepView) => string | null;
  /** The kind's phone results show `live.notice` themselves (the page then leaves it out). */
  phoneNotice?: (data: D | null) => boolean;
  /**
   * Whether a participant is part-way through `view` (answered some of it, not all): the
   * phone then stays on it while its answers are open and the room moves on.
   */
  partWay?: (live: LiveState, view: View) => boolean;

  // Components.
  Editor: Component<EditorProps<Dr>>;
  Question: Component<QuestionProps<ActivityOf<K>, D>>;
  PhoneResults: Component<PhoneResultsProps<ActivityOf<K>, D>>;
  Projector: Component<ProjectorProps<ActivityOf<K>, D>>;
  Summary: Component<SummaryProps<ActivityOf<K>, D>>;
  ConsolePanel: Component<ConsolePanelProps<ActivityOf<K>, D>>;
  /** Its results for every group at once on the projector (else small multiples of `Compact`). */
  Side?: Component<SideProps<ActivityOf<K>, D>>;
  /** Its results in a column of a side-by-side split by group. */
  Compact: Component<CompactProps<ActivityOf<K>, D>>;
}

/**
 * A kind as the pages hold it: its own types erased, as the registry looks it up by the
 * activity's `kind` (so the activity, draft and data it is given are always its own).
 */
export type AnyKind = Kind<string, any, any>;

/** Checks a kind's entry against its own types, and erases them for the registry. */
export function defineKind<K extends string, D, Dr extends DraftBase>(kind: Kind<K, D, Dr>): AnyKind {
  return kind as unknown as AnyKind;
}
