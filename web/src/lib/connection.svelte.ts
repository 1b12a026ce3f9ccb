// The page's WebSocket: says who it is, feeds every frame into one `$state` object, keeps the
// participant's answers until the server has them, and reconnects by itself.

import { backoffDelay } from './backoff';
import {
  answerKey,
  applyServerMessage,
  connectionLost,
  initialState,
  isFinished,
  recordAnswer,
  recordDot,
  recordEntry,
  recordNote,
  GROUP_SLOT,
  recordSubmit,
  unacknowledged,
  unacknowledgedEntries,
  unacknowledgedNotes,
  unacknowledgedSubmits,
  type EntrySlot,
  type LiveState,
  type NoteSlot,
  type Role,
} from './live';
import type { ClientMessage, Color, ServerMessage } from './protocol';
import { load, save, tokenKey } from './storage';

/** Any request to the server but the greetings, without its id (the wire's own types). */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * A facilitator's request, before it gets its id: any of the wire's requests, so that a
 * kind's console panel can send its own (the server refuses what the role may not send).
 */
export type HostRequest = WithoutId<Extract<ClientMessage, { id: number }>>;

/** What a participant's request was about, told with its `ack` or `error`. */
export type OwnRequest = 'answer' | 'entry' | 'delete' | 'note' | 'dot' | 'group';

export interface ConnectionOptions {
  role: Role;
  code: string;
  /** Host or presenter key. */
  key?: string;
  /**
   * Called with every frame after it was applied (for announcements). For the `ack` or
   * `error` of a participant's own answer, entry or deletion, `own` says which it was.
   */
  onMessage?: (message: ServerMessage, own: OwnRequest | null) => void;
}

/** Quiet time before an answer is sent, so that only the last of quick changes goes out. */
const ANSWER_DEBOUNCE_MS = 250;

/** Give up on a handshake (or a welcome) that takes longer than this, and try again. */
const HANDSHAKE_TIMEOUT_MS = 15_000;

export function socketUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

export class Connection {
  /** Everything the page shows; mutated, never replaced. */
  readonly live: LiveState;

  #options: ConnectionOptions;
  #socket: WebSocket | null = null;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #handshakeTimer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;
  #debounce = new Map<string, ReturnType<typeof setTimeout>>();
  /** The participant's requests waiting for their `ack` or `error`. */
  #own = new Map<number, OwnRequest>();
  // Ids stay unique across reloads of the page (the server applies a request resent with the
  // same id and content once): a time-based, randomised start, well within 2^53.
  #nextId = Date.now() * 1024 + Math.floor(Math.random() * 1024);

  constructor(options: ConnectionOptions) {
    const live = $state(initialState(options.role, options.code));
    this.live = live;
    this.#options = options;
    if (options.role === 'participant') live.token = load('local', tokenKey(options.code));
  }

  start(): void {
    this.#stopped = false;
    window.addEventListener('online', this.#wake);
    document.addEventListener('visibilitychange', this.#wake);
    this.#open();
  }

  stop(): void {
    this.#stopped = true;
    window.removeEventListener('online', this.#wake);
    document.removeEventListener('visibilitychange', this.#wake);
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = null;
    socket?.close(1000, 'page closed');
  }

  /** Sends a facilitator request; its progress is `live.requests[id]`. */
  request(body: HostRequest): number {
    const id = this.#nextId++;
    if (!this.#isReady()) {
      this.live.requests[id] = {
        status: 'error',
        message: 'Not connected right now. Try again once the connection is back.',
      };
      return id;
    }
    this.live.requests[id] = { status: 'pending', message: null };
    this.#send({ ...body, id } as ClientMessage);
    return id;
  }

  /**
   * Sends a participant's scale answer; kept and sent again until the server confirms it.
   * Choices made in quick succession (arrow keys through a radio group) send only the last.
   */
  answer(activity: string, round: string | null, statement: number, value: number): void {
    const id = this.#nextId++;
    const key = answerKey(activity, round, statement);
    this.#own.set(id, 'answer');
    recordAnswer(this.live, id, activity, round, statement, value);
    const waiting = this.#debounce.get(key);
    if (waiting !== undefined) clearTimeout(waiting);
    this.#debounce.set(
      key,
      setTimeout(() => {
        this.#debounce.delete(key);
        const slot = this.live.answers[key];
        if (slot && slot.id === id && slot.status === 'saving' && this.#isReady()) {
          this.#sendAnswer(id, activity, round, statement, value);
        }
      }, ANSWER_DEBOUNCE_MS),
    );
  }

  #sendAnswer(id: number, activity: string, round: string | null, statement: number, value: number): void {
    this.#send({ type: 'answer', id, activity, round, statement, value, text: null });
  }

  /** Sends a word-cloud entry; kept and sent again until the server confirms it. */
  addEntry(activity: string, text: string): void {
    const id = this.#nextId++;
    this.#own.set(id, 'entry');
    recordEntry(this.live, id, activity, text);
    if (this.#isReady()) this.#sendEntry(id, activity, text);
  }

  /** Deletes one of the participant's own word-cloud entries (one the server has named). */
  deleteEntry(slot: EntrySlot): void {
    if (slot.entry === null) return;
    const id = this.#nextId++;
    this.#own.set(id, 'delete');
    slot.id = id;
    slot.status = 'deleting';
    slot.message = null;
    if (this.#isReady()) this.#send({ type: 'entry_delete', id, activity: slot.activity, entry: slot.entry });
  }

  /** Forgets an entry the server refused. */
  dismissEntry(slot: EntrySlot): void {
    this.live.entries = this.live.entries.filter((other) => other.key !== slot.key);
  }

  /** Posts a sticky note; kept and sent again until the server confirms it. */
  addNote(activity: string, frame: number, text: string, color: Color): void {
    const id = this.#nextId++;
    this.#own.set(id, 'note');
    recordNote(this.live, id, activity, frame, text, color);
    if (this.#isReady()) this.#send({ type: 'note_add', id, activity, frame, text, color });
  }

  /** Changes the words or colour of one of the participant's own notes. */
  editNote(slot: NoteSlot, text: string, color: Color): void {
    if (slot.note === null) return;
    const id = this.#nextId++;
    this.#own.set(id, 'note');
    Object.assign(slot, { id, text, color, status: 'saving', message: null });
    if (this.#isReady()) this.#send({ type: 'note_edit', id, activity: slot.activity, note: slot.note, text, color });
  }

  deleteNote(slot: NoteSlot): void {
    if (slot.note === null) return;
    const id = this.#nextId++;
    this.#own.set(id, 'delete');
    Object.assign(slot, { id, status: 'deleting', message: null });
    if (this.#isReady()) this.#send({ type: 'note_delete', id, activity: slot.activity, note: slot.note });
  }

  /** Forgets a note the server refused. */
  dismissNote(slot: NoteSlot): void {
    this.live.notes = this.live.notes.filter((other) => other.key !== slot.key);
  }

  /** Puts one of the participant's dots on a note, or takes one back. Not sent again after a drop. */
  dot(activity: string, note: string, add: boolean): void {
    if (!this.#isReady()) {
      this.live.notice = 'Not connected right now. Try again once the connection is back.';
      return;
    }
    const id = this.#nextId++;
    this.#own.set(id, 'dot');
    recordDot(this.live, id, activity, note, add);
    this.#send({ type: 'dot', id, activity, note, add });
  }

  /**
   * Sends a participant's whole answer to an activity (a kind's own fields, such as
   * `{ choices: [0, 2] }`), replacing any earlier one to the same round; its progress is
   * `live.submitted[submitKey(activity, round)]`. Kept and sent again until the server
   * confirms it.
   */
  submit(activity: string, round: string | null, fields: Record<string, unknown>): void {
    const id = this.#nextId++;
    this.#own.set(id, 'answer');
    recordSubmit(this.live, id, activity, round, fields);
    if (this.#isReady()) this.#sendSubmit(id, activity, round, fields);
  }

  /**
   * Sends the participant's answer to the "About you" question (a group's index, or null for
   * "prefer not to say"); kept and sent again until the server confirms it, like `submit`.
   * Its progress is `groupSlot(live)`.
   */
  chooseGroup(group: number | null): void {
    const id = this.#nextId++;
    this.#own.set(id, 'group');
    recordSubmit(this.live, id, GROUP_SLOT, null, { group }, 'group');
    if (this.#isReady()) this.#send({ type: 'group', id, group });
  }

  #sendSubmit(id: number, activity: string, round: string | null, fields: Record<string, unknown>, type = 'answer'): void {
    if (type === 'group') this.#send({ type: 'group', id, group: (fields.group as number | null) ?? null });
    else this.#send({ ...fields, type: 'answer', id, activity, round } as ClientMessage);
  }

  #sendEntry(id: number, activity: string, text: string): void {
    this.#send({ type: 'answer', id, activity, round: null, statement: null, value: null, text });
  }

  #isReady(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN && this.live.welcomed;
  }

  #send(message: ClientMessage): void {
    try {
      this.#socket?.send(JSON.stringify(message));
    } catch {
      // The socket is closing: its close handler reconnects, and answers are resent then.
    }
  }

  #hello(): ClientMessage {
    const { role, code, key = '' } = this.#options;
    if (role === 'participant') return { type: 'join', code, token: this.live.token };
    if (role === 'host') return { type: 'host', code, key };
    return { type: 'present', code, key };
  }

  #open(): void {
    this.#clearTimers();
    if (this.#stopped || isFinished(this.live)) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(socketUrl(window.location));
    } catch {
      this.#scheduleRetry();
      return;
    }
    this.#socket = socket;
    this.live.link = this.#attempt === 0 && !this.live.state ? 'connecting' : 'reconnecting';
    this.#handshakeTimer = setTimeout(() => {
      if (this.#socket === socket && !this.live.welcomed) socket.close();
    }, HANDSHAKE_TIMEOUT_MS);

    socket.addEventListener('open', () => {
      if (this.#socket !== socket) return;
      this.#send(this.#hello());
    });
    socket.addEventListener('message', (event: MessageEvent) => {
      if (this.#socket !== socket || typeof event.data !== 'string') return;
      let message: ServerMessage;
      try {
        message = JSON.parse(event.data) as ServerMessage;
      } catch {
        return;
      }
      if (typeof message !== 'object' || message === null || typeof message.type !== 'string') return;
      this.#receive(message);
    });
    socket.addEventListener('close', () => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      connectionLost(this.live);
      if (this.#stopped || isFinished(this.live)) {
        this.live.link = 'stopped';
        this.#clearTimers();
        return;
      }
      this.live.link = 'reconnecting';
      this.#scheduleRetry();
    });
  }

  #receive(message: ServerMessage): void {
    applyServerMessage(this.live, message);
    switch (message.type) {
      case 'welcome':
        save('local', tokenKey(this.#options.code), message.token);
        this.#welcomed();
        for (const slot of unacknowledged(this.live)) {
          this.#sendAnswer(slot.id ?? this.#nextId++, slot.activity, slot.round, slot.statement, slot.value);
        }
        // The welcome's own list has already settled entries the server kept before the drop.
        for (const slot of unacknowledgedEntries(this.live)) {
          if (slot.id === null) continue;
          if (slot.status === 'deleting' && slot.entry !== null) {
            this.#send({ type: 'entry_delete', id: slot.id, activity: slot.activity, entry: slot.entry });
          } else if (slot.status === 'saving') {
            this.#sendEntry(slot.id, slot.activity, slot.text);
          }
        }
        for (const slot of unacknowledgedSubmits(this.live)) {
          if (slot.id !== null) this.#sendSubmit(slot.id, slot.activity, slot.round, slot.fields, slot.type);
        }
        for (const slot of unacknowledgedNotes(this.live)) {
          const { id, activity, note, text, color, frame } = slot;
          if (id === null) continue;
          if (slot.status === 'deleting' && note !== null) this.#send({ type: 'note_delete', id, activity, note });
          else if (note !== null) this.#send({ type: 'note_edit', id, activity, note, text, color });
          else this.#send({ type: 'note_add', id, activity, frame, text, color });
        }
        break;
      case 'welcome_host':
      case 'welcome_present':
        this.#welcomed();
        break;
      case 'error':
        if (this.live.fatal) this.#socket?.close(1000, 'refused');
        break;
      default:
        break;
    }
    let own: OwnRequest | null = null;
    if ((message.type === 'ack' || message.type === 'error') && message.id != null) {
      own = this.#own.get(message.id) ?? null;
      this.#own.delete(message.id);
    }
    this.#options.onMessage?.(message, own);
  }

  #welcomed(): void {
    this.#attempt = 0;
    this.live.link = 'open';
    if (this.#handshakeTimer !== null) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = null;
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== null) return;
    const delay = backoffDelay(this.#attempt++);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#open();
    }, delay);
  }

  /** Back online, or the phone woke up: try now rather than at the end of the wait. */
  #wake = (): void => {
    if (document.visibilityState === 'hidden' || this.#stopped) return;
    if (this.#retryTimer !== null) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
      this.#open();
    }
  };

  #clearTimers(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    if (this.#handshakeTimer !== null) clearTimeout(this.#handshakeTimer);
    this.#retryTimer = null;
    this.#handshakeTimer = null;
    for (const timer of this.#debounce.values()) clearTimeout(timer);
    this.#debounce.clear();
  }
}
