// The live state of one page, and how each server frame changes it.
//
// These are plain functions over a plain object so that they can be tested without a
// browser; `connection.svelte.ts` keeps the object in one `$state` and feeds it the frames.

import type {
  Activity,
  ActivityResults,
  Aggregate,
  Color,
  ErrorCode,
  Mine,
  OwnEntry,
  OwnNote,
  PresentInfo,
  ServerMessage,
  SessionInfo,
  SessionState,
  StepView,
} from './protocol';
import type { Booked, GroupCounts, KnownAboutYou } from './groups';
import { whatWeHeardFrom } from './report';

export type Role = 'participant' | 'host' | 'present';

/** The WebSocket's state as people see it. */
export type Link = 'connecting' | 'open' | 'reconnecting' | 'stopped';

/** One of the participant's own answers, and whether the server has kept it. */
export interface AnswerSlot {
  activity: string;
  round: string | null;
  statement: number;
  value: number;
  /** The request that carries this value; null when the value came from the server. */
  id: number | null;
  status: 'saving' | 'saved' | 'error';
  message: string | null;
  /**
   * A refused answer keeps the choice the participant made (never an empty choice); this is
   * what the server has kept for the statement meanwhile, if anything.
   */
  kept?: number | null;
}

/** One of the participant's own word-cloud entries. */
export interface EntrySlot {
  /** Stable key for lists. */
  key: string;
  activity: string;
  text: string;
  /** The request in flight for this entry (adding or deleting it), or null. */
  id: number | null;
  /** The server's id of the entry, once a `mine` frame has told it; needed to delete it. */
  entry: string | null;
  status: 'saving' | 'saved' | 'deleting' | 'error';
  message: string | null;
}

/** One of the participant's own jam-board notes. */
export interface NoteSlot {
  key: string;
  activity: string;
  frame: number;
  text: string;
  color: Color;
  /** What the server has, to go back to when an edit is refused; null for a note not kept yet. */
  saved: { text: string; color: Color } | null;
  /** The request in flight for this note (adding, editing or deleting it), or null. */
  id: number | null;
  /** The server's id of the note, once a `mine` frame has told it. */
  note: string | null;
  status: 'saving' | 'saved' | 'deleting' | 'error';
  message: string | null;
}

/**
 * A participant's whole answer to an activity (one round of it), for kinds that send their
 * answer in one message (a choice, a ranking, points): the fields beside `type`, `id`,
 * `activity` and `round`, kept and sent again until the server confirms them.
 */
export interface SubmitSlot {
  activity: string;
  round: string | null;
  /** The answer's own fields, as sent: `{ choices: [0, 2] }`. */
  fields: Record<string, unknown>;
  /** The message's type: an answer, or the participant's group (`{ group: 0 }`, see `GROUP_SLOT`). */
  type?: 'answer' | 'group';
  /** The request that carries them; null once the server has answered. */
  id: number | null;
  status: 'saving' | 'saved' | 'error';
  message: string | null;
}

/** A dot put on a note or taken back, until the server answers. */
export interface DotRequest {
  activity: string;
  note: string;
  add: boolean;
}

/** A facilitator's request, from sending to `ack` or `error`. */
export interface RequestSlot {
  status: 'pending' | 'done' | 'error';
  message: string | null;
}

export interface LatestResults {
  activity: string;
  seq: number;
  data: Aggregate;
}

export interface LiveState {
  role: Role;
  code: string;
  link: Link;
  /** A welcome arrived on the current connection. */
  welcomed: boolean;
  /** Something that stops this page for good: no such session, a wrong key. */
  fatal: { error: ErrorCode; message: string } | null;
  /** The last refusal that belongs to no request on screen. */
  notice: string | null;
  title: string;
  state: SessionState | null;
  step: StepView | null;
  results: LatestResults | null;
  /**
   * Joined: opened the link; took part: answered at least once; answered: answered the
   * current activity (its current round). Null where the server has not said yet.
   */
  counts: {
    joined: number;
    online: number | null;
    took_part: number | null;
    answered: number | null;
    /** Console, with the "About you" question: per group, and those without one (real figures). */
    groups?: Record<string, GroupCounts> | null;
    not_said?: GroupCounts | null;
  } | null;
  /** The session's "About you" question (every page that was told it), or null. */
  aboutYou: KnownAboutYou | null;
  /** Participant: their group now (null: none, or "prefer not to say"). */
  group: number | null;
  /** Participant: whether they have answered the question ("prefer not to say" included). */
  groupChosen: boolean;
  /** Console: the booked numbers the organiser typed in. */
  booked: Booked | null;
  /** Console only. */
  agenda: Activity[];
  /** Console: activities that have answers (they cannot be removed from the agenda). */
  withAnswers: string[];
  /**
   * The server's clock minus this device's, in ms, measured at the last welcome: a timer's
   * `ends_at` (server time) is `ends_at - clockOffset` on this device.
   */
  clockOffset: number;
  /** Console and projector, once the session is closed: every activity's results. */
  summary: ActivityResults[] | null;
  session: SessionInfo | null;
  present: PresentInfo | null;
  participantId: number | null;
  token: string | null;
  /** Participant: own scale answers by `answerKey`. */
  answers: Record<string, AnswerSlot>;
  /** Participant: own word-cloud entries, oldest first. */
  entries: EntrySlot[];
  /** Participant: own jam-board notes, oldest first. */
  notes: NoteSlot[];
  /** Participant: the notes of the current board carrying one of their dots (once per dot). */
  dots: string[];
  /** Participant: dots on their way, by request id. */
  dotRequests: Record<number, DotRequest>;
  /** Participant: whole answers (`submit`), by `submitKey`. */
  submitted: Record<string, SubmitSlot>;
  /**
   * Participant: the server's latest record of their own answers (`mine`), by `submitKey`:
   * a kind reads its own fields from it (what was saved before a reload).
   */
  mine: Record<string, Mine>;
  /** Console: requests by id. */
  requests: Record<number, RequestSlot>;
  /** The published "what we heard" summary's address (`/r/<id>`), or null. */
  whatWeHeard: string | null;
}

export function initialState(role: Role, code: string): LiveState {
  return {
    role,
    code,
    link: 'connecting',
    welcomed: false,
    fatal: null,
    notice: null,
    title: '',
    state: null,
    step: null,
    results: null,
    counts: null,
    aboutYou: null,
    group: null,
    groupChosen: false,
    booked: null,
    agenda: [],
    withAnswers: [],
    clockOffset: 0,
    summary: null,
    session: null,
    present: null,
    participantId: null,
    token: null,
    answers: {},
    entries: [],
    notes: [],
    dots: [],
    dotRequests: {},
    submitted: {},
    mine: {},
    requests: {},
    whatWeHeard: null,
  };
}

/** The key of a whole answer, and of the server's record of it: its activity and round. */
export function submitKey(activity: string, round: string | null): string {
  return JSON.stringify([activity, round]);
}

/** Records a whole answer about to be sent (or kept for sending once connected). */
export function recordSubmit(
  state: LiveState,
  id: number,
  activity: string,
  round: string | null,
  fields: Record<string, unknown>,
  type: 'answer' | 'group' = 'answer',
): SubmitSlot {
  const slot: SubmitSlot = { activity, round, fields, id, status: 'saving', message: null, type };
  state.submitted[submitKey(activity, round)] = slot;
  return slot;
}

/** Whole answers the server has not acknowledged: to send again after a reconnect. */
export function unacknowledgedSubmits(state: LiveState): SubmitSlot[] {
  return Object.values(state.submitted).filter((slot) => slot.status === 'saving' && slot.id !== null);
}

function findSubmit(state: LiveState, id: number): SubmitSlot | undefined {
  return Object.values(state.submitted).find((slot) => slot.id === id);
}

/**
 * The participant's answer to the "About you" question rides in `submitted` like a whole
 * answer (kept and sent again until acknowledged), under this key, which no activity has.
 */
export const GROUP_SLOT = '#about_you';

/** The participant's group request, while it is on its way or after it was refused. */
export function groupSlot(state: LiveState): SubmitSlot | undefined {
  return state.submitted[submitKey(GROUP_SLOT, null)];
}

/** The group the phone shows as chosen: the one on its way, else the server's. */
export function shownGroup(state: LiveState): number | null {
  const slot = groupSlot(state);
  if (slot && slot.status === 'saving') return (slot.fields.group as number | null) ?? null;
  return state.group;
}

/** Whether the phone asks the question now: the session has it and it was never answered. */
export function asksAboutYou(state: LiveState): boolean {
  const slot = groupSlot(state);
  return !!state.aboutYou && !state.groupChosen && !(slot && slot.status === 'saving');
}

export function answerKey(activity: string, round: string | null, statement: number): string {
  return JSON.stringify([activity, round, statement]);
}

/** Refusals of the first message after which trying again cannot help. */
const FATAL: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'not_found',
  'unauthorized',
  'forbidden',
  'invalid_message',
  'unknown_type',
  'not_joined',
  'already_joined',
]);

/** Whether the page should stop reconnecting. */
export function isFinished(state: LiveState): boolean {
  return state.fatal !== null || state.state === 'closed';
}

function stepFrom(frame: StepView): StepView {
  return {
    activity: frame.activity,
    round: frame.round,
    open: frame.open,
    reveal: frame.reveal,
    voting: frame.voting,
    index: frame.index,
    total: frame.total,
    // Servers before issue 12 did not send these: the defaults are what they behaved like.
    projector: frame.projector ?? true,
    page: frame.page ?? null,
    timer: frame.timer ?? null,
    still_open: frame.still_open ?? [],
    // Servers before issue 14 did not send it: everyone only.
    split: frame.split ?? null,
    summary_qr: frame.summary_qr ?? null,
  };
}

function setStep(state: LiveState, step: StepView): void {
  if (state.results && state.results.activity !== step.activity?.id) state.results = null;
  state.step = step;
  if (state.session) state.session.step = step;
}

/**
 * Fills the participant's answers from the server's own record of them. A record carries
 * its own kind's answers and leaves the other lists empty, so every list is taken as it is,
 * whatever the kind: entries, notes and dots for the current activity (each list replaces
 * only that activity's), values for any.
 */
export function applyMine(state: LiveState, mine: Mine): void {
  state.mine[submitKey(mine.activity, mine.round)] = mine;
  if (state.step?.activity?.id === mine.activity) {
    applyOwnEntries(state, mine.activity, mine.entries ?? []);
    applyOwnNotes(state, mine.activity, mine.notes ?? []);
    // Dots are only ever on the current board.
    state.dots = [...(mine.dots ?? [])];
    state.dotRequests = {};
  }
  (mine.values ?? []).forEach((value, statement) => {
    const key = answerKey(mine.activity, mine.round, statement);
    const slot = state.answers[key];
    // An answer still on its way wins: it is newer than what the server had.
    if (slot && slot.status === 'saving') return;
    // A refused answer stays on screen, with its reason, until the participant chooses
    // again: the server's record only says what is kept instead.
    if (slot && slot.status === 'error') {
      if (slot.value === value) {
        Object.assign(slot, { status: 'saved', message: null, id: null, kept: undefined });
      } else {
        slot.kept = value ?? null;
      }
      return;
    }
    if (value == null) {
      if (slot) delete state.answers[key];
      return;
    }
    state.answers[key] = {
      activity: mine.activity,
      round: mine.round,
      statement,
      value,
      id: null,
      status: 'saved',
      message: null,
    };
  });
}

let entryKeys = 0;

/**
 * The server's list of a participant's entries replaces what the page had, except entries
 * still on their way (kept, unless the list shows them already) and deletions in flight.
 */
export function applyOwnEntries(state: LiveState, activity: string, entries: OwnEntry[]): void {
  const mine = state.entries.filter((slot) => slot.activity === activity);
  // Entries not named by the server yet: on their way, or acknowledged a moment before this
  // list (the server sends it right after the `ack`).
  const unmatched = mine.filter((slot) => slot.entry === null && (slot.status === 'saving' || slot.status === 'saved'));
  const next: EntrySlot[] = entries.map((entry) => {
    const local = mine.find((slot) => slot.entry === entry.id);
    const sent = local ? undefined : unmatched.find((slot) => sameWords(slot.text, entry.text));
    if (sent) unmatched.splice(unmatched.indexOf(sent), 1);
    const deleting = local?.status === 'deleting';
    return {
      key: local?.key ?? sent?.key ?? `entry-${++entryKeys}`,
      activity,
      text: entry.text,
      id: deleting ? (local?.id ?? null) : null,
      entry: entry.id,
      status: deleting ? 'deleting' : 'saved',
      message: null,
    };
  });
  const others = state.entries.filter((slot) => slot.activity !== activity);
  state.entries = [...others, ...next, ...unmatched.filter((slot) => slot.status === 'saving')];
}

/** Like `applyOwnEntries`, for a participant's notes on a jam board. */
export function applyOwnNotes(state: LiveState, activity: string, notes: OwnNote[]): void {
  const mine = state.notes.filter((slot) => slot.activity === activity);
  const unmatched = mine.filter((slot) => slot.note === null && (slot.status === 'saving' || slot.status === 'saved'));
  const next: NoteSlot[] = notes.map((note) => {
    const local = mine.find((slot) => slot.note === note.id);
    const sent = local
      ? undefined
      : unmatched.find((slot) => slot.frame === note.frame && sameWords(slot.text, note.text));
    if (sent) unmatched.splice(unmatched.indexOf(sent), 1);
    const busy = local && (local.status === 'deleting' || local.status === 'saving') ? local : undefined;
    return {
      key: local?.key ?? sent?.key ?? `note-${++entryKeys}`,
      activity,
      frame: note.frame,
      // An edit on its way shows its new words until the server answers.
      text: busy?.status === 'saving' ? busy.text : note.text,
      color: busy?.status === 'saving' ? busy.color : note.color,
      saved: { text: note.text, color: note.color },
      id: busy?.id ?? null,
      note: note.id,
      status: busy?.status ?? 'saved',
      message: null,
    };
  });
  const others = state.notes.filter((slot) => slot.activity !== activity);
  state.notes = [...others, ...next, ...unmatched.filter((slot) => slot.status === 'saving')];
}

/** Records a new note about to be sent. */
export function recordNote(state: LiveState, id: number, activity: string, frame: number, text: string, color: Color): NoteSlot {
  const slot: NoteSlot = {
    key: `note-${++entryKeys}`,
    activity,
    frame,
    text,
    color,
    saved: null,
    id,
    note: null,
    status: 'saving',
    message: null,
  };
  state.notes.push(slot);
  return slot;
}

/** Puts a dot on a note (or takes one back) at once; `dotAnswered` settles it. */
export function recordDot(state: LiveState, id: number, activity: string, note: string, add: boolean): void {
  state.dotRequests[id] = { activity, note, add };
  if (add) state.dots.push(note);
  else {
    const at = state.dots.indexOf(note);
    if (at >= 0) state.dots.splice(at, 1);
  }
}

/** Whether two entries read the same, as far as the page can tell. */
function sameWords(a: string, b: string): boolean {
  const norm = (text: string) => text.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
  return norm(a) === norm(b);
}

/** Records a word-cloud entry about to be sent. */
export function recordEntry(state: LiveState, id: number, activity: string, text: string): EntrySlot {
  const slot: EntrySlot = {
    key: `entry-${++entryKeys}`,
    activity,
    text,
    id,
    entry: null,
    status: 'saving',
    message: null,
  };
  state.entries.push(slot);
  return slot;
}

/** The participant's entries in a word cloud that count towards its limit. */
export function liveEntries(state: LiveState, activity: string): EntrySlot[] {
  return state.entries.filter((slot) => slot.activity === activity && slot.status !== 'error');
}

function findEntry(state: LiveState, id: number): EntrySlot | undefined {
  return state.entries.find((slot) => slot.id === id);
}

function findAnswer(state: LiveState, id: number): AnswerSlot | undefined {
  for (const slot of Object.values(state.answers)) if (slot.id === id) return slot;
  return undefined;
}

/** Applies one server frame. Returns nothing; the caller reads the state. */
export function applyServerMessage(state: LiveState, message: ServerMessage): void {
  const heard = whatWeHeardFrom(message);
  if (heard !== undefined) state.whatWeHeard = heard;
  switch (message.type) {
    case 'welcome':
      state.welcomed = true;
      state.notice = null;
      state.results = null;
      state.clockOffset = clockOffset(message.server_time);
      state.participantId = message.participant_id;
      state.token = message.token;
      state.title = message.title;
      state.state = message.state;
      setStep(state, stepFrom(message.step));
      if (message.mine) applyMine(state, message.mine);
      // Servers before issue 14 did not send these.
      state.aboutYou = message.about_you ?? null;
      state.group = message.group ?? null;
      state.groupChosen = message.group_chosen ?? false;
      return;
    case 'welcome_host':
      state.welcomed = true;
      state.notice = null;
      state.results = null;
      state.session = message.session;
      state.title = message.session.title;
      state.state = message.session.state;
      state.agenda = message.session.agenda;
      state.withAnswers = message.session.with_answers ?? [];
      state.aboutYou = message.session.about_you ?? null;
      state.booked = message.session.booked ?? null;
      state.clockOffset = clockOffset(message.server_time);
      state.counts = {
        joined: message.session.participants,
        online: state.counts?.online ?? null,
        took_part: message.session.took_part ?? state.counts?.took_part ?? null,
        answered: state.counts?.answered ?? null,
      };
      setStep(state, stepFrom(message.session.step));
      return;
    case 'welcome_present':
      state.welcomed = true;
      state.notice = null;
      state.results = null;
      state.present = message.session;
      // The question's labels and K; a server without it leaves the labels to the results'
      // `by_group` (in the question's order) and says "too few" without K.
      state.aboutYou = message.session.about_you ?? null;
      state.clockOffset = clockOffset(message.server_time);
      state.title = message.session.title;
      state.state = message.session.state;
      return;
    case 'ack': {
      const request = state.requests[message.id];
      if (request) {
        request.status = 'done';
        request.message = null;
      }
      const slot = findAnswer(state, message.id);
      if (slot) {
        slot.status = 'saved';
        slot.message = null;
        slot.kept = undefined;
      }
      const entry = findEntry(state, message.id);
      if (entry?.status === 'deleting') {
        state.entries = state.entries.filter((other) => other !== entry);
      } else if (entry) {
        entry.status = 'saved';
        entry.id = null;
        entry.message = null;
      }
      const note = state.notes.find((slot) => slot.id === message.id);
      if (note?.status === 'deleting') {
        state.notes = state.notes.filter((other) => other !== note);
      } else if (note) {
        note.status = 'saved';
        note.saved = { text: note.text, color: note.color };
        note.id = null;
        note.message = null;
      }
      delete state.dotRequests[message.id];
      const submit = findSubmit(state, message.id);
      if (submit) Object.assign(submit, { status: 'saved', id: null, message: null });
      if (submit?.type === 'group') {
        state.group = (submit.fields.group as number | null) ?? null;
        state.groupChosen = true;
      }
      return;
    }
    case 'error': {
      const id = message.id;
      const request = id == null ? undefined : state.requests[id];
      const slot = id == null ? undefined : findAnswer(state, id);
      if (request) {
        request.status = 'error';
        request.message = message.message;
      }
      if (slot) {
        slot.status = 'error';
        slot.message = message.message;
      }
      const entry = id == null ? undefined : findEntry(state, id);
      if (entry) {
        // A refused deletion leaves the entry as it was; a refused entry shows why.
        entry.status = entry.status === 'deleting' ? 'saved' : 'error';
        entry.id = null;
        entry.message = message.message;
      }
      const note = id == null ? undefined : state.notes.find((other) => other.id === id);
      if (note) {
        if (note.status === 'deleting' || note.saved) {
          // A refused edit or deletion leaves the note as the server has it.
          note.text = note.saved?.text ?? note.text;
          note.color = note.saved?.color ?? note.color;
          note.status = 'saved';
        } else {
          note.status = 'error';
        }
        note.id = null;
        note.message = message.message;
      }
      const dot = id == null ? undefined : state.dotRequests[id];
      if (dot && id != null) {
        delete state.dotRequests[id];
        // Undo what was shown at once.
        if (dot.add) {
          const at = state.dots.lastIndexOf(dot.note);
          if (at >= 0) state.dots.splice(at, 1);
        } else {
          state.dots.push(dot.note);
        }
        state.notice = message.message;
      }
      const submit = id == null ? undefined : findSubmit(state, id);
      if (submit) Object.assign(submit, { status: 'error', id: null, message: message.message });
      if (request || slot || entry || note || dot || submit) return;
      if (!state.welcomed && message.error === 'session_closed') {
        state.state = 'closed';
      } else if (!state.welcomed && FATAL.has(message.error)) {
        state.fatal = { error: message.error, message: message.message };
      } else {
        state.notice = message.message;
      }
      return;
    }
    case 'step':
      setStep(state, stepFrom(message));
      return;
    case 'results': {
      const current = state.results;
      if (current && current.activity === message.activity && current.seq > message.seq) return;
      state.results = { activity: message.activity, seq: message.seq, data: message.data };
      return;
    }
    case 'mine': {
      const { type: _type, ...mine } = message;
      applyMine(state, mine);
      return;
    }
    case 'counts': {
      const groups: { groups?: Record<string, GroupCounts>; not_said?: GroupCounts } = message;
      state.counts = {
        joined: message.joined,
        online: message.online,
        took_part: message.took_part ?? null,
        answered: message.answered ?? null,
        // Only with the "About you" question.
        ...(groups.groups ? { groups: groups.groups, not_said: groups.not_said ?? null } : {}),
      };
      if (state.session) state.session.participants = message.joined;
      return;
    }
    case 'agenda': {
      state.agenda = message.agenda;
      if (message.with_answers) state.withAnswers = message.with_answers;
      if (state.session) state.session.agenda = message.agenda;
      const current = state.step?.activity;
      const fresh = current && message.agenda.find((a) => a.id === current.id);
      if (state.step && fresh) state.step.activity = fresh;
      return;
    }
    case 'session_closed':
      state.state = 'closed';
      if (state.step) state.step.open = false;
      if (state.session) state.session.state = 'closed';
      return;
    case 'summary':
      state.summary = message.activities;
      return;
  }
}

/** The server's clock minus this device's, from a welcome's `server_time` (0 when absent). */
export function clockOffset(serverTime: number | undefined, now = Date.now()): number {
  return typeof serverTime === 'number' && Number.isFinite(serverTime) ? serverTime - now : 0;
}

/** Records an answer about to be sent (or kept for sending once connected). */
export function recordAnswer(
  state: LiveState,
  id: number,
  activity: string,
  round: string | null,
  statement: number,
  value: number,
): AnswerSlot {
  const key = answerKey(activity, round, statement);
  const previous = state.answers[key];
  // What the server holds meanwhile, to say so if this answer is refused.
  const kept = previous ? (previous.status === 'saved' ? previous.value : (previous.kept ?? null)) : null;
  const slot: AnswerSlot = { activity, round, statement, value, id, status: 'saving', message: null, kept };
  state.answers[key] = slot;
  return slot;
}

/** Answers that the server has not acknowledged: to send again after a reconnect. */
export function unacknowledged(state: LiveState): AnswerSlot[] {
  return Object.values(state.answers).filter((slot) => slot.status === 'saving' && slot.id !== null);
}

/** Notes, and changes to notes, that the server has not acknowledged. */
export function unacknowledgedNotes(state: LiveState): NoteSlot[] {
  return state.notes.filter((slot) => (slot.status === 'saving' || slot.status === 'deleting') && slot.id !== null);
}

/** Entries, and deletions of entries, that the server has not acknowledged. */
export function unacknowledgedEntries(state: LiveState): EntrySlot[] {
  return state.entries.filter((slot) => (slot.status === 'saving' || slot.status === 'deleting') && slot.id !== null);
}

/** The connection dropped: requests in flight can no longer be confirmed. */
export function connectionLost(state: LiveState): void {
  state.welcomed = false;
  for (const request of Object.values(state.requests)) {
    if (request.status === 'pending') {
      request.status = 'error';
      request.message = 'The connection dropped before this was confirmed. Check, and try again if needed.';
    }
  }
}

/** What a participant's phone shows: an activity, and the round for a scale. */
export interface View {
  activity: Activity;
  round: string | null;
}

/** The participant's requests about `view` that the server has not answered yet. */
export function inFlight(state: LiveState, view: View): number {
  const id = view.activity.id;
  const answers = Object.values(state.answers).filter(
    (slot) => slot.activity === id && slot.round === view.round && slot.status === 'saving',
  ).length;
  const busy = (slot: { activity: string; status: string }) =>
    slot.activity === id && (slot.status === 'saving' || slot.status === 'deleting');
  const whole = Object.values(state.submitted).filter((slot) => busy(slot) && slot.round === view.round).length;
  return answers + whole + state.entries.filter(busy).length + state.notes.filter(busy).length;
}

/**
 * Whether a phone stays on what it showed (`view`) when the room moves on to `next`:
 * while one of its answers there is still on its way (so that its "Saving…", "Saved" or
 * "Not saved" stays in sight), or while the participant is part-way through it (its kind's
 * `partWay`, a scale with some statements answered) and its answers are still open. The
 * participant then goes on by themselves ("Go there").
 */
export function stayOn(
  state: LiveState,
  view: View,
  next: StepView,
  partWay?: (state: LiveState, view: View) => boolean,
): boolean {
  if (next.activity?.id === view.activity.id && next.round === view.round) return false;
  if (state.state === 'closed') return false;
  if (inFlight(state, view) > 0) return true;
  if (!partWay || next.activity?.id === view.activity.id) return false;
  if (!next.still_open.includes(view.activity.id)) return false;
  return partWay(state, view);
}

/** Whether answers to `view` are accepted while the room shows `step`. */
export function viewOpen(state: LiveState, view: View, step: StepView | null): boolean {
  if (!step || state.state === 'closed') return false;
  if (step.activity?.id === view.activity.id) return step.round === view.round && step.open;
  return step.still_open.includes(view.activity.id);
}

/** The participant's answer slot for a statement of the current step, if any. */
export function currentAnswer(state: LiveState, statement: number): AnswerSlot | undefined {
  const activity = state.step?.activity;
  if (!activity) return undefined;
  return state.answers[answerKey(activity.id, state.step?.round ?? null, statement)];
}

/** The latest results, if they belong to the current step's activity. */
export function currentResults(state: LiveState): Aggregate | null {
  const activity = state.step?.activity;
  if (!activity || !state.results || state.results.activity !== activity.id) return null;
  return state.results.data;
}
