import { describe, expect, it } from 'vitest';

import { initialState, submitKey } from '../../lib/live';
import { sameAnswer, savedAnswer } from './answer';

describe('a one-message answer on the phone', () => {
  it('is the one the server acknowledged here, else its record, else none', () => {
    const live = initialState('participant', '12345678');
    const key = submitKey('c1', 'Before');
    expect(savedAnswer(live, 'c1', 'Before', 'choices')).toBeNull();
    // A record with nothing in it: not answered in this round.
    live.mine[key] = { activity: 'c1', round: 'Before', values: [], entries: [], notes: [], dots: [], choices: [], order: [], points: [] };
    expect(savedAnswer(live, 'c1', 'Before', 'choices')).toBeNull();
    live.mine[key] = { ...live.mine[key]!, choices: [2] };
    expect(savedAnswer(live, 'c1', 'Before', 'choices')).toEqual([2]);
    // Sent and acknowledged here: that one, whatever the record said before.
    live.submitted[key] = { activity: 'c1', round: 'Before', fields: { choices: [0, 1] }, id: null, status: 'saved', message: null };
    expect(savedAnswer(live, 'c1', 'Before', 'choices')).toEqual([0, 1]);
    // Refused: the record still counts.
    live.submitted[key] = { activity: 'c1', round: 'Before', fields: { choices: [3] }, id: null, status: 'error', message: 'No.' };
    expect(savedAnswer(live, 'c1', 'Before', 'choices')).toEqual([2]);
    // Another round has none.
    expect(savedAnswer(live, 'c1', 'After', 'choices')).toBeNull();
  });

  it('compares answers in order', () => {
    expect(sameAnswer([1, 2], [1, 2])).toBe(true);
    expect(sameAnswer([2, 1], [1, 2])).toBe(false);
    expect(sameAnswer(null, null)).toBe(true);
    expect(sameAnswer([], null)).toBe(false);
  });
});
