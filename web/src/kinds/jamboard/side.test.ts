import { describe, expect, it } from 'vitest';

import type { JamboardAggregate, NoteView } from '../../lib/protocol';
import { boardRows, boardSideCell } from './side';

const note = (id: number, theme: number | null, votes: number, extra: Partial<NoteView> = {}): NoteView => ({
  id: String(id),
  text: `note ${id}`,
  color: 'yellow',
  x: null,
  y: null,
  theme,
  votes,
  hidden: false,
  ...extra,
});

const board = (frames: NoteView[][], themes: { id: number; name: string }[] = []): JamboardAggregate => ({
  frames: frames.map((notes, i) => ({ title: `Frame ${i + 1}`, notes })),
  themes,
  keywords: [],
  locked: false,
  voting: false,
  dots: 3,
});

describe('a jam board side by side', () => {
  it('rows by frame without themes, with the whole board last', () => {
    const total = board([[note(1, null, 2), note(2, null, 0)], [note(3, null, 5)]]);
    const rows = boardRows(total, ['Frame 1', 'Frame 2']);
    expect(rows.map((row) => row.label)).toEqual(['Frame 1', 'Frame 2', 'Whole board']);
    expect(boardSideCell(total, rows[0]!, true)).toEqual({ main: '2 notes', sub: '2 dots', spoken: '2 notes, 2 dots' });
    expect(boardSideCell(total, rows[2]!, true).main).toBe('3 notes');
    expect(boardSideCell(total, rows[2]!, true).sub).toBe('7 dots');
    // A board without dot voting says notes only.
    expect(boardSideCell(total, rows[1]!, false)).toEqual({ main: '1 note', sub: null, spoken: '1 note' });
  });

  it("rows by theme across frames, and a group's notes are only those it wrote", () => {
    const themes = [{ id: 1, name: 'Waiting' }, { id: 2, name: 'Being heard' }];
    const total = board([[note(1, 1, 3), note(2, 2, 1)], [note(3, 1, 0), note(4, null, 0)]], themes);
    const rows = boardRows(total, ['Frame 1', 'Frame 2']);
    expect(rows.map((row) => row.label)).toEqual(['Waiting', 'Being heard', 'No theme', 'Whole board']);
    // The group wrote note 3 and put two dots on note 1, which someone else wrote.
    const group = board([[note(1, 1, 2, { dots_only: true })], [note(3, 1, 0)]], themes);
    expect(boardSideCell(group, rows[0]!, true)).toEqual({ main: '1 note', sub: '2 dots', spoken: '1 note, 2 dots' });
    expect(boardSideCell(group, rows[1]!, true).main).toBe('0 notes');
    expect(boardSideCell(total, rows[0]!, true)).toEqual({ main: '2 notes', sub: '3 dots', spoken: '2 notes, 3 dots' });
    // Hidden notes (the console's board) are never counted; no data says so.
    const hidden = board([[note(1, 1, 3, { hidden: true })], []], themes);
    expect(boardSideCell(hidden, rows[3]!, true).main).toBe('0 notes');
    expect(boardSideCell(null, rows[0]!, true).main).toBe('\u2013');
  });

  it('one frame and no themes: a single row, no whole-board row', () => {
    const total = board([[note(1, null, 0)]]);
    expect(boardRows(total, ['Ideas']).map((row) => row.label)).toEqual(['Ideas']);
  });
});
