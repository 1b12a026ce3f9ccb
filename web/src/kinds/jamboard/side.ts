// A jam board split by group on the projector: a row per theme (or per frame while the
// facilitator has made no themes), each cell how many notes the group wrote there and how
// many dots it gave there. Read from across the room, where small multiples of sixty notes
// per group would be too small to read.

import { plural } from '../../lib/format';
import type { SideTableCell } from '../../lib/SideTable.svelte';
import type { JamboardAggregate, NoteView } from '../../lib/protocol';

/** One row of the table: its label and which notes fall in it. */
export interface BoardRow {
  label: string;
  holds: (note: NoteView, frame: number) => boolean;
}

/**
 * The rows, from the whole board (the total column): its themes in order, then "No theme"
 * when some visible note has none; its frames when it has no themes; then "Whole board"
 * when there is more than one row.
 */
export function boardRows(total: JamboardAggregate | null, frames: readonly string[]): BoardRow[] {
  const visible = (total?.frames ?? []).flatMap((frame) => frame.notes.filter((note) => !note.hidden));
  const themes = total?.themes ?? [];
  const rows: BoardRow[] =
    themes.length > 0
      ? themes.map((theme) => ({ label: theme.name, holds: (note: NoteView) => note.theme === theme.id }))
      : frames.map((title, index) => ({ label: title, holds: (_: NoteView, frame: number) => frame === index }));
  if (themes.length > 0 && visible.some((note) => note.theme === null || !themes.some((theme) => theme.id === note.theme))) {
    rows.push({ label: 'No theme', holds: (note) => note.theme === null || !themes.some((theme) => theme.id === note.theme) });
  }
  if (rows.length > 1) rows.push({ label: 'Whole board', holds: () => true });
  return rows;
}

/** A group's notes (those its members wrote) and dots (those they gave) in one row. */
export function boardCount(data: JamboardAggregate, row: BoardRow): { notes: number; dots: number } {
  let notes = 0;
  let dots = 0;
  data.frames.forEach((frame, index) => {
    for (const note of frame.notes) {
      if (note.hidden || !row.holds(note, index)) continue;
      if (!note.dots_only) notes += 1;
      dots += note.votes;
    }
  });
  return { notes, dots };
}

const NONE: SideTableCell = { main: '\u2013', sub: null, spoken: 'no notes yet' };

/** One cell: "12 notes" and, on a board with dot voting, "7 dots" under it. */
export function boardSideCell(data: JamboardAggregate | null, row: BoardRow, voting: boolean): SideTableCell {
  if (!data) return NONE;
  const { notes, dots } = boardCount(data, row);
  const main = plural(notes, 'note');
  if (!voting) return { main, sub: null, spoken: main };
  const sub = plural(dots, 'dot');
  return { main, sub, spoken: `${main}, ${sub}` };
}
