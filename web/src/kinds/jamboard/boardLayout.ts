// How the projector lays out a jam board so that every note is legible and none overlaps.
// Each frame has equal columns. Notes nobody placed are packed into the columns in order
// (or by dots while dot voting is on), each under the one before in its column. When the
// facilitator placed notes (x, y from 0 to 1), the frame is a grid whose rows are as tall
// as their tallest note: each note gets a cell of its own, the free cell nearest its place,
// so two notes can never overlap. How many columns, how large the type, and whether pages
// are needed is chosen from the notes' measured heights. Pure functions; the component
// measures and draws.

import { splitPages } from '../../lib/projector';

/** Cell of a note: column and row from 0, row-major index `row * columns + column`. */
export interface Cell {
  column: number;
  row: number;
}

/**
 * One cell per note, never two notes in one cell. `places[i]` is note i's place (0–1 across
 * and down its frame) or null for a note not placed. Placed notes, in order, take the free
 * cell nearest their place in a grid of `columns` × enough rows for every note; notes not
 * placed then take the first free cells in reading order.
 */
export function cellsFor(places: ({ x: number; y: number } | null)[], columns: number): Cell[] {
  const count = places.length;
  const cols = Math.max(1, Math.floor(columns));
  const rows = Math.max(1, Math.ceil(count / cols));
  const taken = new Set<number>();
  const cells: (Cell | null)[] = places.map(() => null);
  const clamp = (value: number) => Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0));
  places.forEach((place, i) => {
    if (!place) return;
    // The cell under the place, then the nearest free one (ties: reading order).
    const wantColumn = Math.min(cols - 1, Math.floor(clamp(place.x) * cols));
    const wantRow = Math.min(rows - 1, Math.floor(clamp(place.y) * rows));
    let best = -1;
    let bestDistance = Infinity;
    for (let index = 0; index < rows * cols; index++) {
      if (taken.has(index)) continue;
      const column = index % cols;
      const row = Math.floor(index / cols);
      const distance = (column - wantColumn) ** 2 + (row - wantRow) ** 2;
      if (distance < bestDistance) {
        best = index;
        bestDistance = distance;
      }
    }
    taken.add(best);
    cells[i] = { column: best % cols, row: Math.floor(best / cols) };
  });
  let next = 0;
  return cells.map((cell) => {
    if (cell) return cell;
    while (taken.has(next)) next++;
    taken.add(next);
    return { column: next % cols, row: Math.floor(next / cols) };
  });
}

/** The height of each row: its tallest note. Rows without a note are left out (height 0). */
export function rowHeights(cells: Cell[], heights: number[]): number[] {
  const rows: number[] = [];
  cells.forEach((cell, i) => {
    rows[cell.row] = Math.max(rows[cell.row] ?? 0, heights[i] ?? 0);
  });
  return Array.from(rows, (height) => height ?? 0);
}

/**
 * Rows that follow one another with no note in between are dropped (a facilitator who put
 * every note at the top leaves the bottom rows empty): answers each cell moved up past the
 * empty rows above it, so that the grid has no empty row.
 */
export function closeEmptyRows(cells: Cell[]): Cell[] {
  const used = [...new Set(cells.map((cell) => cell.row))].sort((a, b) => a - b);
  const newRow = new Map(used.map((row, i) => [row, i]));
  return cells.map((cell) => ({ column: cell.column, row: newRow.get(cell.row) ?? cell.row }));
}

/** Pages of rows: the first row and the count of rows on each page. */
export function rowPages(rows: number[], room: number, gap: number): { start: number; count: number }[] {
  return splitPages(rows, room, gap);
}

export interface FrameNotes {
  places: ({ x: number; y: number } | null)[];
}

/** A note on a page: its column and its top edge, in px from the top of the frame's notes. */
export interface Spot {
  index: number;
  column: number;
  top: number;
}

export interface FramePage {
  spots: Spot[];
  /** The height the page's notes take. */
  height: number;
}

/**
 * Notes not placed by the facilitator, in order, each into the column whose notes end
 * highest (so a column of short notes takes the next one): denser than rows, where a row is
 * as tall as its tallest note. A note that fits in no column starts a new page. Spots never
 * overlap: within a column each note starts `gap` below the one before.
 */
export function packColumns(heights: number[], columns: number, room: number, gap: number): FramePage[] {
  const cols = Math.max(1, Math.floor(columns));
  const pages: FramePage[] = [];
  let ends: number[] = [];
  let spots: Spot[] = [];
  const close = () => {
    pages.push({ spots, height: Math.max(0, ...ends) });
    ends = new Array<number>(cols).fill(0);
    spots = [];
  };
  ends = new Array<number>(cols).fill(0);
  heights.forEach((height, index) => {
    const fits = (column: number) => (ends[column] === 0 ? height : ends[column]! + gap + height) <= room;
    let column = -1;
    for (let c = 0; c < cols; c++) if (fits(c) && (column < 0 || ends[c]! < ends[column]!)) column = c;
    if (column < 0 && spots.length > 0) {
      close();
      column = 0;
    }
    if (column < 0) column = 0;
    const top = ends[column] === 0 ? 0 : ends[column]! + gap;
    spots.push({ index, column, top });
    ends[column] = top + height;
  });
  if (spots.length > 0 || pages.length === 0) close();
  return pages;
}

/**
 * Notes some of which the facilitator placed: each in a cell of its own near its place
 * (`cellsFor`), rows as tall as their tallest note, rows split into pages that fit.
 */
export function placeInCells(
  places: ({ x: number; y: number } | null)[],
  heights: number[],
  columns: number,
  room: number,
  gap: number,
): FramePage[] {
  const cells = closeEmptyRows(cellsFor(places, columns));
  const rows = rowHeights(cells, heights);
  return rowPages(rows, room, gap).map(({ start, count }) => {
    const tops: number[] = [];
    let y = 0;
    for (let r = start; r < start + count; r++) {
      tops[r] = y;
      y += (rows[r] ?? 0) + gap;
    }
    const spots = cells
      .map((cell, index) => ({ index, column: cell.column, row: cell.row }))
      .filter((cell) => cell.row >= start && cell.row < start + count)
      .map((cell) => ({ index: cell.index, column: cell.column, top: tops[cell.row] ?? 0 }));
    return { spots, height: Math.max(0, y - gap) };
  });
}

/** A frame's pages: in cells when any note was placed, else packed in columns. */
export function layOutFrame(
  places: ({ x: number; y: number } | null)[],
  heights: number[],
  columns: number,
  room: number,
  gap: number,
): FramePage[] {
  return places.some((place) => place !== null)
    ? placeInCells(places, heights, columns, room, gap)
    : packColumns(heights, columns, room, gap);
}

export interface BoardChoice {
  columns: number;
  /** The notes' type size, as a share of the largest (1). */
  scale: number;
  /** Per frame: its pages. */
  pages: FramePage[][];
  /** The board's pages: the most any frame needs. */
  pageCount: number;
}

/**
 * Chooses the layout of a board: among `candidates` (each a column count and a type size,
 * with every note's height, frame by frame, measured so), the one that needs the fewest
 * pages in `room` pixels; on a tie, the largest type, then the fewest columns (the widest
 * notes). So notes shrink (down to the smallest size offered) before pages appear.
 */
export function chooseColumns(
  frames: FrameNotes[],
  candidates: { columns: number; scale?: number; heights: number[][] }[],
  room: number,
  gap: number,
): BoardChoice | null {
  let best: BoardChoice | null = null;
  for (const candidate of candidates) {
    const scale = candidate.scale ?? 1;
    const pages = frames.map((frame, f) => layOutFrame(frame.places, candidate.heights[f] ?? [], candidate.columns, room, gap));
    const pageCount = Math.max(1, ...pages.map((framePages) => framePages.length));
    const better =
      !best ||
      pageCount < best.pageCount ||
      (pageCount === best.pageCount && (scale > best.scale || (scale === best.scale && candidate.columns < best.columns)));
    if (better) best = { columns: candidate.columns, scale, pages, pageCount };
  }
  return best;
}

/** Notes in the order the projector shows them: by dots while voting (ties: as they came). */
export function rankedNotes<T extends { votes: number }>(notes: T[], byDots: boolean): T[] {
  if (!byDots) return notes;
  return notes
    .map((note, i) => ({ note, i }))
    .sort((a, b) => b.note.votes - a.note.votes || a.i - b.i)
    .map(({ note }) => note);
}
