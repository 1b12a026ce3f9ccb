import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { Connection } from './connection.svelte';
import { scale, stepOf } from './fixtures';
import type { ClientMessage, ServerMessage } from './protocol';

/** A WebSocket that records what the page sends and lets the test play the server. */
class FakeSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  static all: FakeSocket[] = [];

  readyState = FakeSocket.CONNECTING;
  sent: ClientMessage[] = [];
  #listeners = new Map<string, ((event: unknown) => void)[]>();

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }

  addEventListener(type: string, listener: (event: unknown) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as ClientMessage);
  }

  close(): void {
    if (this.readyState === FakeSocket.CLOSED) return;
    this.readyState = FakeSocket.CLOSED;
    this.#emit('close', {});
  }

  // The server's side.
  accept(): void {
    this.readyState = FakeSocket.OPEN;
    this.#emit('open', {});
  }

  receive(message: ServerMessage): void {
    this.#emit('message', { data: JSON.stringify(message) });
  }

  drop(): void {
    this.close();
  }

  #emit(type: string, event: unknown): void {
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }
}

const latest = () => FakeSocket.all[FakeSocket.all.length - 1]!;

function welcome(token = 'tok-1'): ServerMessage {
  return {
    type: 'welcome',
    about_you: null,
    group: null,
    group_chosen: false,
    protocol: 1,
    server_time: 0,
    participant_id: 1,
    token,
    title: 'Training day',
    state: 'live',
    step: stepOf(scale, 'Before'),
    mine: { activity: 'a1', round: 'Before', values: [null, null], entries: [], notes: [], dots: [], choices: [], order: [], points: [] },
  };
}

describe('the page connection', () => {
  const stored = new Map<string, string>();

  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
    stored.clear();
    const storage = {
      getItem: (key: string) => stored.get(key) ?? null,
      setItem: (key: string, value: string) => void stored.set(key, value),
    };
    vi.stubGlobal('WebSocket', FakeSocket);
    vi.stubGlobal('window', {
      location: { protocol: 'https:', host: 'polls.example.org' },
      localStorage: storage,
      sessionStorage: storage,
      addEventListener: () => {},
      removeEventListener: () => {},
    });
    vi.stubGlobal('document', { visibilityState: 'visible', addEventListener: () => {}, removeEventListener: () => {} });
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('joins with the saved token and keeps the new one', () => {
    stored.set('chorus.token.48213377', 'old-token');
    const connection = new Connection({ role: 'participant', code: '48213377' });
    connection.start();
    expect(latest().url).toBe('wss://polls.example.org/ws');
    latest().accept();
    expect(latest().sent).toEqual([{ type: 'join', code: '48213377', token: 'old-token' }]);
    latest().receive(welcome('new-token'));
    expect(stored.get('chorus.token.48213377')).toBe('new-token');
    expect(connection.live.link).toBe('open');
    connection.stop();
  });

  it('sends the last of quick changes, and says saved only on its ack', () => {
    const connection = new Connection({ role: 'participant', code: '48213377' });
    connection.start();
    latest().accept();
    latest().receive(welcome());
    connection.answer('a1', 'Before', 0, 2);
    connection.answer('a1', 'Before', 0, 3);
    vi.advanceTimersByTime(300);
    const answers = latest().sent.filter((m) => m.type === 'answer');
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ activity: 'a1', round: 'Before', statement: 0, value: 3, text: null });
    const slot = () => Object.values(connection.live.answers)[0];
    expect(slot()?.status).toBe('saving');
    latest().receive({ type: 'ack', id: (answers[0] as { id: number }).id });
    expect(slot()?.status).toBe('saved');
    connection.stop();
  });

  it('reconnects with backoff and sends unacknowledged answers again', () => {
    const connection = new Connection({ role: 'participant', code: '48213377' });
    connection.start();
    latest().accept();
    latest().receive(welcome());
    connection.answer('a1', 'Before', 1, 5);
    vi.advanceTimersByTime(300);
    const first = latest().sent.find((m) => m.type === 'answer') as { id: number };
    latest().drop();
    expect(connection.live.link).toBe('reconnecting');
    // Answered while offline: kept for later.
    connection.answer('a1', 'Before', 0, 1);
    // The first retry comes within half a second.
    vi.advanceTimersByTime(500);
    expect(FakeSocket.all).toHaveLength(2);
    latest().accept();
    expect(latest().sent[0]).toEqual({ type: 'join', code: '48213377', token: 'tok-1' });
    latest().receive(welcome());
    const resent = latest().sent.filter((m) => m.type === 'answer');
    expect(resent.map((m) => (m as { value: number }).value).sort()).toEqual([1, 5]);
    expect(resent.some((m) => (m as { id: number }).id === first.id)).toBe(true);
    connection.stop();
  });

  it('sends a whole answer with its own fields, and again after a reconnect until acknowledged', () => {
    const connection = new Connection({ role: 'participant', code: '48213377' });
    connection.start();
    latest().accept();
    latest().receive(welcome());
    connection.submit('c1', null, { choices: [0, 2] });
    const sent = latest().sent.filter((m) => m.type === 'answer');
    expect(sent).toEqual([{ type: 'answer', id: expect.any(Number), activity: 'c1', round: null, choices: [0, 2] }]);
    latest().drop();
    // Changed while offline: only the newest goes out, once.
    connection.submit('c1', null, { choices: [1] });
    vi.advanceTimersByTime(500);
    latest().accept();
    latest().receive(welcome());
    const resent = latest().sent.filter((m) => m.type === 'answer');
    expect(resent).toHaveLength(1);
    expect(resent[0]).toMatchObject({ activity: 'c1', round: null, choices: [1] });
    const slot = () => connection.live.submitted['["c1",null]'];
    expect(slot()?.status).toBe('saving');
    latest().receive({ type: 'ack', id: (resent[0] as { id: number }).id });
    expect(slot()).toMatchObject({ status: 'saved', id: null, fields: { choices: [1] } });
    connection.stop();
  });

  it('sends the About-you answer as a group message, again after a reconnect until acknowledged', () => {
    const connection = new Connection({ role: 'participant', code: '48213377' });
    connection.start();
    latest().accept();
    latest().receive(welcome());
    connection.chooseGroup(2);
    expect(latest().sent.filter((m) => m.type === 'group')).toEqual([{ type: 'group', id: expect.any(Number), group: 2 }]);
    latest().drop();
    // Changed to "prefer not to say" while offline: only that goes out, and no answer with it.
    connection.chooseGroup(null);
    vi.advanceTimersByTime(500);
    latest().accept();
    latest().receive(welcome());
    const resent = latest().sent.filter((m) => m.type !== 'join');
    expect(resent).toEqual([{ type: 'group', id: expect.any(Number), group: null }]);
    latest().receive({ type: 'ack', id: (resent[0] as { id: number }).id });
    expect(connection.live.groupChosen).toBe(true);
    expect(connection.live.group).toBeNull();
    connection.stop();
  });

  it('stops for good when the session does not exist', () => {
    const connection = new Connection({ role: 'participant', code: '11112222' });
    connection.start();
    latest().accept();
    latest().receive({ type: 'error', id: null, error: 'not_found', message: 'No such session.' });
    expect(connection.live.fatal?.error).toBe('not_found');
    expect(connection.live.link).toBe('stopped');
    vi.advanceTimersByTime(60_000);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it('tracks a console request, and refuses one while offline', () => {
    const connection = new Connection({ role: 'host', code: '48213377', key: 'hk' });
    connection.start();
    latest().accept();
    expect(latest().sent[0]).toEqual({ type: 'host', code: '48213377', key: 'hk' });
    const offline = connection.request({ type: 'set_open', open: false });
    expect(connection.live.requests[offline]?.status).toBe('error');
    latest().receive({
      type: 'welcome_host',
      protocol: 1,
      server_time: 0,
      session: {
        code: '48213377',
        title: 'T',
        state: 'live',
        series: '48213377',
        created_at: 0,
        closed_at: null,
        agenda: [scale],
        step: stepOf(null),
        participants: 0,
        took_part: 0,
        with_answers: [],
        join_url: 'https://polls.example.org/j/48213377',
        present_key: 'pk',
        about_you: null,
        booked: null,
        about_you_answered: false,
      },
    });
    const id = connection.request({ type: 'goto', activity: 'a1', round: 'After' });
    expect(latest().sent.at(-1)).toEqual({ type: 'goto', id, activity: 'a1', round: 'After' });
    expect(connection.live.requests[id]?.status).toBe('pending');
    latest().receive({ type: 'ack', id });
    expect(connection.live.requests[id]?.status).toBe('done');
    connection.stop();
  });
});
