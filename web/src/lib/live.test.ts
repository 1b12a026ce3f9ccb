import { describe, expect, it } from 'vitest';

import { activityTitle } from '../kinds/registry';
import scaleKind from '../kinds/scale';
import { aggregate, board, cloud, scale, stepOf } from './fixtures';
import {
  GROUP_SLOT,
  answerKey,
  applyServerMessage,
  asksAboutYou,
  groupSlot,
  shownGroup,
  clockOffset,
  connectionLost,
  currentAnswer,
  currentResults,
  inFlight,
  initialState,
  isFinished,
  liveEntries,
  recordAnswer,
  recordDot,
  recordEntry,
  recordNote,
  recordSubmit,
  submitKey,
  unacknowledged,
  unacknowledgedEntries,
  unacknowledgedNotes,
  unacknowledgedSubmits,
  stayOn,
  viewOpen,
  type LiveState,
} from './live';
import type { ServerMessage, SessionInfo } from './protocol';

function participant(): LiveState {
  const state = initialState('participant', '48213377');
  applyServerMessage(state, {
    type: 'welcome',
    about_you: null,
    group: null,
    group_chosen: false,
    protocol: 1,
    server_time: 0,
    participant_id: 7,
    token: 'tok',
    title: 'Training day',
    state: 'live',
    step: stepOf(scale, 'Before'),
    mine: { activity: 'a1', round: 'Before', values: [4, null], entries: [], notes: [], dots: [], choices: [], order: [], points: [] },
  });
  return state;
}

const session: SessionInfo = {
  code: '48213377',
  title: 'Training day',
  state: 'live',
  series: '48213377',
  created_at: 0,
  closed_at: null,
  agenda: [scale],
  step: stepOf(null),
  participants: 3,
  took_part: 0,
  with_answers: [],
  join_url: 'http://localhost/j/48213377',
  present_key: 'pk',
  about_you: null,
  booked: null,
  about_you_answered: false,
};

function host(): LiveState {
  const state = initialState('host', '48213377');
  applyServerMessage(state, { type: 'welcome_host', protocol: 1, server_time: 0, session: structuredClone(session) });
  return state;
}

describe('participant frames', () => {
  it('takes identity, step and own answers from the welcome', () => {
    const state = participant();
    expect(state.welcomed).toBe(true);
    expect(state.token).toBe('tok');
    expect(state.participantId).toBe(7);
    expect(state.title).toBe('Training day');
    expect(state.step?.activity?.id).toBe('a1');
    expect(currentAnswer(state, 0)).toMatchObject({ value: 4, status: 'saved', id: null });
    expect(currentAnswer(state, 1)).toBeUndefined();
  });

  it('says "saved" only after the ack of that very request', () => {
    const state = participant();
    recordAnswer(state, 100, 'a1', 'Before', 1, 2);
    expect(currentAnswer(state, 1)?.status).toBe('saving');
    recordAnswer(state, 101, 'a1', 'Before', 1, 3);
    applyServerMessage(state, { type: 'ack', id: 100 });
    expect(currentAnswer(state, 1)).toMatchObject({ value: 3, status: 'saving' });
    applyServerMessage(state, { type: 'ack', id: 101 });
    expect(currentAnswer(state, 1)).toMatchObject({ value: 3, status: 'saved' });
  });

  it('shows the message of a refused answer', () => {
    const state = participant();
    recordAnswer(state, 5, 'a1', 'Before', 0, 5);
    applyServerMessage(state, { type: 'error', id: 5, error: 'not_open', message: 'Answers are closed for now.' });
    expect(currentAnswer(state, 0)).toMatchObject({ status: 'error', message: 'Answers are closed for now.' });
    expect(state.notice).toBeNull();
    expect(state.fatal).toBeNull();
  });

  it('keeps unacknowledged answers for sending again after a reconnect', () => {
    const state = participant();
    recordAnswer(state, 1, 'a1', 'Before', 0, 5);
    recordAnswer(state, 2, 'a1', 'Before', 1, 1);
    applyServerMessage(state, { type: 'ack', id: 1 });
    connectionLost(state);
    expect(state.welcomed).toBe(false);
    expect(unacknowledged(state).map((slot) => slot.id)).toEqual([2]);
    // The server's record does not overwrite an answer still on its way.
    applyServerMessage(state, {
      type: 'welcome',
      about_you: null,
      group: null,
      group_chosen: false,
      protocol: 1,
      server_time: 0,
      participant_id: 7,
      token: 'tok',
      title: 'Training day',
      state: 'live',
      step: stepOf(scale, 'Before'),
      mine: { activity: 'a1', round: 'Before', values: [5, null], entries: [], notes: [], dots: [], choices: [], order: [], points: [] },
    });
    expect(currentAnswer(state, 1)).toMatchObject({ value: 1, status: 'saving', id: 2 });
    expect(currentAnswer(state, 0)).toMatchObject({ value: 5, status: 'saved' });
  });

  it('fills answers from a mine frame after a step change, per round', () => {
    const state = participant();
    applyServerMessage(state, { type: 'step', ...stepOf(scale, 'After') });
    expect(currentAnswer(state, 0)).toBeUndefined();
    applyServerMessage(state, { type: 'mine', activity: 'a1', round: 'After', values: [null, 2], entries: [], notes: [], dots: [], choices: [], order: [], points: [] });
    expect(currentAnswer(state, 1)).toMatchObject({ value: 2, status: 'saved' });
    expect(state.answers[answerKey('a1', 'Before', 0)]?.value).toBe(4);
  });

  it('drops results of another activity and keeps the newest', () => {
    const state = participant();
    applyServerMessage(state, { type: 'results', activity: 'a1', seq: 5, data: aggregate });
    expect(currentResults(state)).toEqual(aggregate);
    applyServerMessage(state, {
      type: 'results',
      activity: 'a1',
      seq: 4,
      data: { kind: 'scale', statements: [] },
    });
    expect(state.results?.seq).toBe(5);
    applyServerMessage(state, { type: 'step', ...stepOf(null) });
    expect(state.results).toBeNull();
    expect(currentResults(state)).toBeNull();
  });

  it('ends with session_closed', () => {
    const state = participant();
    applyServerMessage(state, { type: 'session_closed' });
    expect(state.state).toBe('closed');
    expect(state.step?.open).toBe(false);
    expect(isFinished(state)).toBe(true);
  });

  it('stops for good when the session does not exist', () => {
    const state = initialState('participant', '11112222');
    applyServerMessage(state, {
      type: 'error',
      id: null,
      error: 'not_found',
      message: 'There is no session with that code.',
    });
    expect(state.fatal).toEqual({ error: 'not_found', message: 'There is no session with that code.' });
    expect(isFinished(state)).toBe(true);
  });

  it('keeps trying when the server is only busy', () => {
    const state = initialState('participant', '11112222');
    applyServerMessage(state, { type: 'error', id: null, error: 'rate_limited', message: 'Wait a little.' });
    expect(state.fatal).toBeNull();
    expect(state.notice).toBe('Wait a little.');
    expect(isFinished(state)).toBe(false);
  });

  it('treats a closed session at join as ended', () => {
    const state = initialState('participant', '11112222');
    applyServerMessage(state, { type: 'error', id: null, error: 'session_closed', message: 'Ended.' });
    expect(state.state).toBe('closed');
    expect(state.fatal).toBeNull();
  });
});

describe('word-cloud entries', () => {
  function inCloud(entries: { id: string; text: string }[] = []): LiveState {
    const state = initialState('participant', '48213377');
    applyServerMessage(state, {
      type: 'welcome',
      about_you: null,
      group: null,
      group_chosen: false,
      protocol: 1,
      server_time: 0,
      participant_id: 7,
      token: 'tok',
      title: 'Training day',
      state: 'live',
      step: stepOf(cloud),
      mine: { activity: 'w1', round: null, values: [], entries, notes: [], dots: [], choices: [], order: [], points: [] },
    });
    return state;
  }

  it('takes own entries from the welcome', () => {
    const state = inCloud([{ id: '11', text: 'family' }]);
    expect(state.entries).toMatchObject([{ text: 'family', entry: '11', status: 'saved', id: null }]);
    expect(state.answers).toEqual({});
  });

  it('goes from saving to saved on the ack, and shows a refusal', () => {
    const state = inCloud();
    recordEntry(state, 50, 'w1', 'trust');
    recordEntry(state, 51, 'w1', 'the');
    expect(liveEntries(state, 'w1')).toHaveLength(2);
    applyServerMessage(state, { type: 'ack', id: 50 });
    applyServerMessage(state, { type: 'error', id: 51, error: 'stop_word', message: '“the” is too common.' });
    expect(state.entries.map((slot) => [slot.text, slot.status, slot.message])).toEqual([
      ['trust', 'saved', null],
      ['the', 'error', '“the” is too common.'],
    ]);
    // A refused entry does not count towards the limit.
    expect(liveEntries(state, 'w1')).toHaveLength(1);
  });

  it('learns entry ids from a mine frame, keeping entries still on their way', () => {
    const state = inCloud();
    recordEntry(state, 50, 'w1', 'Trust');
    recordEntry(state, 51, 'w1', 'time');
    applyServerMessage(state, { type: 'ack', id: 50 });
    applyServerMessage(state, { type: 'mine', activity: 'w1', round: null, values: [], entries: [{ id: '3', text: 'Trust' }], notes: [], dots: [], choices: [], order: [], points: [] });
    expect(state.entries.map((slot) => [slot.text, slot.entry, slot.status])).toEqual([
      ['Trust', '3', 'saved'],
      ['time', null, 'saving'],
    ]);
    expect(unacknowledgedEntries(state).map((slot) => slot.id)).toEqual([51]);
  });

  it("keeps another activity's entries when the record of this one comes", () => {
    const state = inCloud([{ id: '11', text: 'family' }]);
    // The phone stayed on the cloud to see its last entry through; the room moved on to a scale.
    recordEntry(state, 52, 'w1', 'trust');
    applyServerMessage(state, { type: 'step', ...stepOf(scale, 'Before') });
    applyServerMessage(state, { type: 'mine', activity: 'a1', round: 'Before', values: [3, null], entries: [], notes: [], dots: [], choices: [], order: [], points: [] });
    expect(state.entries.map((slot) => [slot.text, slot.status])).toEqual([
      ['family', 'saved'],
      ['trust', 'saving'],
    ]);
    expect(unacknowledgedEntries(state).map((slot) => slot.id)).toEqual([52]);
    expect(currentAnswer(state, 0)).toMatchObject({ value: 3, status: 'saved' });
  });

  it('names an entry from the mine frame that follows its ack, keeping its key', () => {
    const state = inCloud();
    const slot = recordEntry(state, 50, 'w1', 'together');
    const key = slot.key;
    applyServerMessage(state, { type: 'ack', id: 50 });
    expect(state.entries[0]).toMatchObject({ status: 'saved', entry: null });
    applyServerMessage(state, {
      type: 'mine',
      activity: 'w1',
      round: null,
      values: [],
      entries: [{ id: '8', text: 'together' }],
      notes: [],
      dots: [],
      choices: [],
      order: [],
      points: [],
    });
    expect(state.entries).toHaveLength(1);
    expect(state.entries[0]).toMatchObject({ key, entry: '8', status: 'saved' });
  });

  it('does not send an entry again that the server kept before the connection dropped', () => {
    const state = inCloud();
    recordEntry(state, 50, 'w1', 'family');
    connectionLost(state);
    applyServerMessage(state, {
      type: 'welcome',
      about_you: null,
      group: null,
      group_chosen: false,
      protocol: 1,
      server_time: 0,
      participant_id: 7,
      token: 'tok',
      title: 'Training day',
      state: 'live',
      step: stepOf(cloud),
      mine: { activity: 'w1', round: null, values: [], entries: [{ id: '9', text: 'Family' }], notes: [], dots: [], choices: [], order: [], points: [] },
    });
    expect(unacknowledgedEntries(state)).toEqual([]);
    expect(state.entries).toMatchObject([{ text: 'Family', entry: '9', status: 'saved' }]);
  });

  it('removes an entry once its deletion is acknowledged, and keeps it when refused', () => {
    const state = inCloud([
      { id: '1', text: 'a' },
      { id: '2', text: 'b' },
    ]);
    const [first, second] = state.entries;
    Object.assign(first!, { id: 60, status: 'deleting' });
    Object.assign(second!, { id: 61, status: 'deleting' });
    applyServerMessage(state, { type: 'ack', id: 60 });
    applyServerMessage(state, { type: 'error', id: 61, error: 'not_open', message: 'Closed.' });
    expect(state.entries.map((slot) => [slot.text, slot.status, slot.message])).toEqual([['b', 'saved', 'Closed.']]);
  });
});

describe('jam-board notes and dots', () => {
  function onBoard(): LiveState {
    const state = initialState('participant', '48213377');
    applyServerMessage(state, {
      type: 'welcome',
      about_you: null,
      group: null,
      group_chosen: false,
      protocol: 1,
      server_time: 0,
      participant_id: 7,
      token: 'tok',
      title: 'Training day',
      state: 'live',
      step: stepOf(board),
      mine: {
        activity: 'j1',
        round: null,
        values: [],
        entries: [],
        notes: [{ id: '4', frame: 0, text: 'Time', color: 'yellow' }],
        dots: ['4', '4'],
        choices: [],
        order: [],
        points: [],
      },
    });
    return state;
  }

  it('takes own notes and dots from the welcome', () => {
    const state = onBoard();
    expect(state.notes).toMatchObject([{ note: '4', text: 'Time', status: 'saved', saved: { text: 'Time' } }]);
    expect(state.dots).toEqual(['4', '4']);
  });

  it('posts a note, and matches it with the server list after a drop', () => {
    const state = onBoard();
    recordNote(state, 70, 'j1', 1, 'Good teams', 'green');
    connectionLost(state);
    expect(unacknowledgedNotes(state).map((slot) => slot.id)).toEqual([70]);
    applyServerMessage(state, {
      type: 'mine',
      activity: 'j1',
      round: null,
      values: [],
      entries: [],
      notes: [
        { id: '4', frame: 0, text: 'Time', color: 'yellow' },
        { id: '9', frame: 1, text: 'Good teams', color: 'green' },
      ],
      dots: [],
      choices: [],
      order: [],
      points: [],
    });
    expect(unacknowledgedNotes(state)).toEqual([]);
    expect(state.notes.map((slot) => slot.note)).toEqual(['4', '9']);
  });

  it('names a note from the mine frame that follows its ack, so that it can be changed at once', () => {
    const state = onBoard();
    const slot = recordNote(state, 71, 'j1', 0, 'Money', 'pink');
    const key = slot.key;
    applyServerMessage(state, { type: 'ack', id: 71 });
    applyServerMessage(state, {
      type: 'mine',
      activity: 'j1',
      round: null,
      values: [],
      entries: [],
      notes: [
        { id: '4', frame: 0, text: 'Time', color: 'yellow' },
        { id: '12', frame: 0, text: 'Money', color: 'pink' },
      ],
      dots: ['4', '4'],
      choices: [],
      order: [],
      points: [],
    });
    expect(state.notes.map((note) => [note.note, note.status])).toEqual([
      ['4', 'saved'],
      ['12', 'saved'],
    ]);
    expect(state.notes[1]?.key).toBe(key);
  });

  it('goes back to the saved words when an edit is refused', () => {
    const state = onBoard();
    const slot = state.notes[0]!;
    Object.assign(slot, { id: 80, text: 'Money', status: 'saving' });
    applyServerMessage(state, { type: 'error', id: 80, error: 'not_open', message: 'The board is locked for now.' });
    expect(state.notes[0]).toMatchObject({ text: 'Time', status: 'saved', message: 'The board is locked for now.' });
  });

  it('shows a dot at once and takes it back when refused', () => {
    const state = onBoard();
    recordDot(state, 90, 'j1', '4', true);
    expect(state.dots).toEqual(['4', '4', '4']);
    applyServerMessage(state, { type: 'error', id: 90, error: 'too_many_entries', message: 'You have used all 3 of your dots.' });
    expect(state.dots).toEqual(['4', '4']);
    expect(state.notice).toBe('You have used all 3 of your dots.');
    recordDot(state, 91, 'j1', '4', false);
    applyServerMessage(state, { type: 'ack', id: 91 });
    expect(state.dots).toEqual(['4']);
    expect(state.dotRequests).toEqual({});
  });
});

describe('a refused answer never becomes an empty choice', () => {
  it('says which earlier answer the server still holds', () => {
    const state = participant(); // statement 0 saved as 4
    recordAnswer(state, 5, 'a1', 'Before', 0, 2);
    applyServerMessage(state, { type: 'error', id: 5, error: 'not_open', message: 'Answers have been stopped.' });
    expect(currentAnswer(state, 0)).toMatchObject({ value: 2, status: 'error', kept: 4 });
    recordAnswer(state, 6, 'a1', 'Before', 0, 3);
    applyServerMessage(state, { type: 'ack', id: 6 });
    expect(currentAnswer(state, 0)).toMatchObject({ value: 3, status: 'saved', kept: undefined });
  });

  it('keeps the choice and its reason when the server\'s record comes after', () => {
    const state = participant();
    recordAnswer(state, 5, 'a1', 'Before', 1, 2);
    applyServerMessage(state, { type: 'error', id: 5, error: 'not_open', message: 'Answers are closed for now.' });
    // The `mine` that follows (a step, a reconnect) has nothing for statement 1.
    applyServerMessage(state, { type: 'mine', activity: 'a1', round: 'Before', values: [4, null], entries: [], notes: [], dots: [], choices: [], order: [], points: [] });
    expect(currentAnswer(state, 1)).toMatchObject({ value: 2, status: 'error', message: 'Answers are closed for now.', kept: null });
    // It has another value: the refused choice stays, and says what is kept.
    applyServerMessage(state, { type: 'mine', activity: 'a1', round: 'Before', values: [4, 5], entries: [], notes: [], dots: [], choices: [], order: [], points: [] });
    expect(currentAnswer(state, 1)).toMatchObject({ value: 2, status: 'error', kept: 5 });
    // The same value after all (a resend got through): saved.
    applyServerMessage(state, { type: 'mine', activity: 'a1', round: 'Before', values: [4, 2], entries: [], notes: [], dots: [], choices: [], order: [], points: [] });
    expect(currentAnswer(state, 1)).toMatchObject({ value: 2, status: 'saved', message: null });
  });
});

describe('a whole answer', () => {
  it('goes from saving to saved, or shows why it was refused, and counts as on its way', () => {
    const state = participant();
    const view = { activity: { ...scale, id: 'c1' }, round: null };
    recordSubmit(state, 70, 'c1', null, { choices: [0, 2] });
    expect(inFlight(state, view)).toBe(1);
    expect(unacknowledgedSubmits(state).map((slot) => slot.id)).toEqual([70]);
    applyServerMessage(state, { type: 'ack', id: 70 });
    expect(state.submitted[submitKey('c1', null)]).toMatchObject({ status: 'saved', id: null, fields: { choices: [0, 2] } });
    expect(inFlight(state, view)).toBe(0);
    recordSubmit(state, 71, 'c1', null, { choices: [0, 1, 2] });
    applyServerMessage(state, { type: 'error', id: 71, error: 'out_of_range', message: 'Choose at most 2.' });
    expect(state.submitted[submitKey('c1', null)]).toMatchObject({ status: 'error', message: 'Choose at most 2.' });
    // A refusal of one's own answer is not a notice for the whole page.
    expect(state.notice).toBeNull();
    expect(unacknowledgedSubmits(state)).toEqual([]);
  });

  it("keeps the server's record of each activity and round for its kind to read", () => {
    const state = participant();
    const mine = { activity: 'a1', round: 'After', values: [1, null], entries: [], notes: [], dots: [], choices: [], order: [], points: [] };
    applyServerMessage(state, { type: 'mine', ...mine });
    expect(state.mine[submitKey('a1', 'After')]).toEqual(mine);
  });
});

describe('when the room moves on', () => {
  const next = (still_open: string[]) => ({ ...stepOf(cloud), still_open });
  const view = { activity: scale, round: 'Before' };

  it('stays while an answer there is on its way, open or not', () => {
    const state = participant();
    recordAnswer(state, 5, 'a1', 'Before', 1, 2);
    expect(stayOn(state, view, next([]), scaleKind.partWay)).toBe(true);
    expect(stayOn(state, view, { ...stepOf(scale, 'After'), still_open: [] }, scaleKind.partWay)).toBe(true);
    applyServerMessage(state, { type: 'ack', id: 5 });
    // Every statement answered and saved: nothing keeps the phone there.
    expect(stayOn(state, view, next(['a1']), scaleKind.partWay)).toBe(false);
  });

  it('stays part-way through a scale whose answers are still open', () => {
    const state = participant(); // statement 0 answered, statement 1 not
    expect(stayOn(state, view, next(['a1']), scaleKind.partWay)).toBe(true);
    expect(stayOn(state, view, next([]), scaleKind.partWay)).toBe(false);
    // Another round of the same scale closes this one.
    expect(stayOn(state, view, { ...stepOf(scale, 'After'), still_open: [] }, scaleKind.partWay)).toBe(false);
    // Nothing answered yet: follow the room.
    const fresh = participant();
    fresh.answers = {};
    expect(stayOn(fresh, view, next(['a1']), scaleKind.partWay)).toBe(false);
  });

  it('follows the room from a kind that is never part-way, once nothing is on its way', () => {
    const state = participant();
    const onCloud = { activity: cloud, round: null };
    expect(stayOn(state, onCloud, { ...stepOf(scale, 'Before'), still_open: ['w1'] })).toBe(false);
    recordEntry(state, 60, 'w1', 'trust');
    expect(stayOn(state, onCloud, { ...stepOf(scale, 'Before'), still_open: ['w1'] })).toBe(true);
  });

  it('does not stay on the step the room is on, or once the session is closed', () => {
    const state = participant();
    recordAnswer(state, 5, 'a1', 'Before', 1, 2);
    expect(stayOn(state, view, stepOf(scale, 'Before'), scaleKind.partWay)).toBe(false);
    applyServerMessage(state, { type: 'session_closed' });
    expect(stayOn(state, view, next(['a1']), scaleKind.partWay)).toBe(false);
  });

  it('takes answers to what it shows only while they are open', () => {
    const state = participant();
    expect(viewOpen(state, view, next(['a1']))).toBe(true);
    expect(viewOpen(state, view, next([]))).toBe(false);
    expect(viewOpen(state, view, stepOf(scale, 'After'))).toBe(false);
    expect(viewOpen(state, view, stepOf(scale, 'Before', false))).toBe(false);
    expect(viewOpen(state, view, stepOf(scale, 'Before'))).toBe(true);
  });
});

describe('console frames', () => {
  it('takes the session from welcome_host', () => {
    const state = host();
    expect(state.session?.code).toBe('48213377');
    expect(state.agenda).toHaveLength(1);
    expect(state.counts).toEqual({ joined: 3, online: null, took_part: 0, answered: null });
    expect(state.step?.activity).toBeNull();
  });

  it('tracks a request from pending to done or refused', () => {
    const state = host();
    state.requests[9] = { status: 'pending', message: null };
    state.requests[10] = { status: 'pending', message: null };
    applyServerMessage(state, { type: 'ack', id: 9 });
    applyServerMessage(state, { type: 'error', id: 10, error: 'unknown_round', message: 'No such round.' });
    expect(state.requests[9]).toEqual({ status: 'done', message: null });
    expect(state.requests[10]).toEqual({ status: 'error', message: 'No such round.' });
  });

  it('fails requests in flight when the connection drops', () => {
    const state = host();
    state.requests[1] = { status: 'pending', message: null };
    connectionLost(state);
    expect(state.requests[1]?.status).toBe('error');
  });

  it('follows counts, steps and agenda changes', () => {
    const state = host();
    applyServerMessage(state, { type: 'counts', joined: 12, online: 10, took_part: 9, answered: 7 });
    expect(state.counts).toEqual({ joined: 12, online: 10, took_part: 9, answered: 7 });
    expect(state.session?.participants).toBe(12);
    applyServerMessage(state, { type: 'step', ...stepOf(scale, 'Before') });
    expect(state.session?.step.activity?.id).toBe('a1');
    const renamed = { ...scale, title: 'Renamed' };
    applyServerMessage(state, { type: 'agenda', agenda: [renamed], with_answers: ['a1'] });
    expect(state.agenda[0] && activityTitle(state.agenda[0])).toBe('Renamed');
    expect(state.withAnswers).toEqual(['a1']);
    expect(state.step?.activity && activityTitle(state.step.activity)).toBe('Renamed');
  });

  it('keeps the step\'s projector, page, timer and still-open activities', () => {
    const state = host();
    const timer = { seconds: 300, ends_at: 1_700_000_300_000, stop_answers: true };
    applyServerMessage(state, {
      type: 'step',
      ...stepOf(scale, 'Before'),
      projector: false,
      page: 1,
      timer,
      still_open: ['w1'],
    });
    expect(state.step).toMatchObject({ projector: false, page: 1, timer, still_open: ['w1'] });
  });

  it('measures the clock offset at welcome', () => {
    expect(clockOffset(1_000_500, 1_000_000)).toBe(500);
    expect(clockOffset(undefined, 1_000_000)).toBe(0);
  });

  it('keeps the closing summary', () => {
    const state = host();
    applyServerMessage(state, { type: 'summary', activities: [{ activity: scale, data: aggregate }] });
    expect(state.summary?.[0]?.activity.id).toBe('a1');
  });

  it('marks the session closed', () => {
    const state = host();
    applyServerMessage(state, { type: 'session_closed' });
    expect(state.session?.state).toBe('closed');
    expect(state.state).toBe('closed');
  });
});

describe('projector frames', () => {
  it('takes the join link from welcome_present', () => {
    const state = initialState('present', '48213377');
    const frames: ServerMessage[] = [
      {
        type: 'welcome_present',
        protocol: 1,
        server_time: 0,
        session: { code: '48213377', title: 'Training day', state: 'live', join_url: 'http://x/j/48213377', about_you: null },
      },
      { type: 'step', ...stepOf(scale, 'Before') },
      { type: 'results', activity: 'a1', seq: 1, data: aggregate },
      { type: 'counts', joined: 2, online: 2, took_part: 2, answered: 1 },
    ];
    for (const frame of frames) applyServerMessage(state, frame);
    expect(state.present?.join_url).toBe('http://x/j/48213377');
    expect(currentResults(state)).toEqual(aggregate);
    expect(state.counts?.joined).toBe(2);
  });
});

describe('the About-you question', () => {
  const about = { prompt: 'I am a…', groups: ['Parent carer', 'Professional'] };
  function joined(fields: Record<string, unknown>): LiveState {
    const state = initialState('participant', '48213377');
    applyServerMessage(state, {
      type: 'welcome',
      about_you: null,
      group: null,
      group_chosen: false,
      protocol: 1,
      server_time: 0,
      participant_id: 7,
      token: 'tok',
      title: 'Training day',
      state: 'live',
      step: stepOf(null),
      mine: null,
      ...fields,
    } as ServerMessage);
    return state;
  }

  it('is asked after joining when the session has it and the phone never answered it', () => {
    expect(asksAboutYou(joined({}))).toBe(false);
    expect(asksAboutYou(joined({ about_you: about, group: null, group_chosen: false }))).toBe(true);
    const answered = joined({ about_you: about, group: 1, group_chosen: true });
    expect(asksAboutYou(answered)).toBe(false);
    expect(shownGroup(answered)).toBe(1);
    // "Prefer not to say" is an answer too.
    expect(asksAboutYou(joined({ about_you: about, group: null, group_chosen: true }))).toBe(false);
  });

  it('is kept and sent again until acknowledged, then is the phone\'s group', () => {
    const state = joined({ about_you: about, group: null, group_chosen: false });
    recordSubmit(state, 40, GROUP_SLOT, null, { group: 0 }, 'group');
    expect(asksAboutYou(state)).toBe(false);
    expect(shownGroup(state)).toBe(0);
    expect(unacknowledgedSubmits(state).map((slot) => [slot.type, slot.fields])).toEqual([['group', { group: 0 }]]);
    // A reconnect's welcome does not forget it: still on its way, still shown.
    applyServerMessage(state, { type: 'welcome', protocol: 1, server_time: 0, participant_id: 7, token: 'tok', title: '', state: 'live', step: stepOf(null), mine: null, about_you: about, group: null, group_chosen: false } as ServerMessage);
    expect(unacknowledgedSubmits(state)).toHaveLength(1);
    expect(shownGroup(state)).toBe(0);
    applyServerMessage(state, { type: 'ack', id: 40 });
    expect(state.group).toBe(0);
    expect(state.groupChosen).toBe(true);
    expect(groupSlot(state)?.status).toBe('saved');
    expect(unacknowledgedSubmits(state)).toEqual([]);
    // A change to "prefer not to say".
    recordSubmit(state, 41, GROUP_SLOT, null, { group: null }, 'group');
    applyServerMessage(state, { type: 'ack', id: 41 });
    expect(state.group).toBeNull();
    expect(state.groupChosen).toBe(true);
  });

  it('shows a refusal as not saved, and asks again when it was the first answer', () => {
    const state = joined({ about_you: about, group: null, group_chosen: false });
    recordSubmit(state, 50, GROUP_SLOT, null, { group: 1 }, 'group');
    applyServerMessage(state, { type: 'error', id: 50, error: 'invalid_message', message: 'There is no such group.' });
    expect(groupSlot(state)).toMatchObject({ status: 'error', message: 'There is no such group.' });
    expect(state.groupChosen).toBe(false);
    expect(asksAboutYou(state)).toBe(true);
    expect(state.notice).toBeNull();
  });

  it("keeps the console's counts per group, and the projector's question", () => {
    const console = host();
    applyServerMessage(console, {
      type: 'counts',
      joined: 12,
      online: 10,
      took_part: 9,
      answered: 7,
      groups: { 'Parent carer': { joined: 8, took_part: 6 } },
      not_said: { joined: 4, took_part: 3 },
    } as ServerMessage);
    expect(console.counts?.groups).toEqual({ 'Parent carer': { joined: 8, took_part: 6 } });
    expect(console.counts?.not_said).toEqual({ joined: 4, took_part: 3 });
    const projector = initialState('present', '48213377');
    applyServerMessage(projector, {
      type: 'welcome_present',
      protocol: 1,
      server_time: 0,
      session: { code: '48213377', title: '', state: 'live', join_url: '', about_you: { ...about, min_group_size: 5 } },
    } as ServerMessage);
    expect(projector.aboutYou?.min_group_size).toBe(5);
    applyServerMessage(projector, { type: 'step', ...stepOf(scale, 'Before'), split: 'side_by_side' } as ServerMessage);
    expect((projector.step as { split?: unknown }).split).toBe('side_by_side');
  });
});

describe('"what we heard"', () => {
  it('a phone learns the summary’s address when it is published and forgets it when revoked', () => {
    const state = participant();
    expect(state.whatWeHeard).toBeNull();
    applyServerMessage(state, { type: 'what_we_heard', url: '/r/abc' });
    expect(state.whatWeHeard).toBe('/r/abc');
    // Another frame leaves it alone.
    applyServerMessage(state, { type: 'session_closed' });
    expect(state.whatWeHeard).toBe('/r/abc');
    applyServerMessage(state, { type: 'what_we_heard', url: null });
    expect(state.whatWeHeard).toBeNull();
  });

  it('the projector keeps the step’s summary QR address, and an older server’s step has none', () => {
    const state = initialState('present', '48213377');
    applyServerMessage(state, { type: 'step', ...stepOf(null), summary_qr: '/r/abc' });
    expect(state.step?.summary_qr).toBe('/r/abc');
    const older = { type: 'step', ...stepOf(null) } as Record<string, unknown>;
    delete older.summary_qr;
    applyServerMessage(state, older as unknown as ServerMessage);
    expect(state.step?.summary_qr).toBeNull();
  });
});
