import { describe, expect, it } from 'vitest';

import { cellsFor, chooseColumns, closeEmptyRows, packColumns, placeInCells, rankedNotes, rowHeights, type FramePage } from './boardLayout';

/** Every note of a page within the room and clear of every other note in its column. */
function apart(pages: FramePage[], heights: number[], room: number, gap: number): void {
  for (const page of pages) {
    for (const a of page.spots) {
      expect(a.top).toBeGreaterThanOrEqual(0);
      if (page.spots.length > 1) expect(a.top + heights[a.index]!).toBeLessThanOrEqual(room);
      for (const b of page.spots) {
        if (a === b || a.column !== b.column) continue;
        const clear = a.top + heights[a.index]! + gap <= b.top || b.top + heights[b.index]! + gap <= a.top;
        expect(clear).toBe(true);
      }
    }
  }
}

const key = (cell: { column: number; row: number }) => `${cell.column},${cell.row}`;

describe('the projector’s board layout', () => {
  it('fills cells in reading order when nothing is placed', () => {
    expect(cellsFor([null, null, null, null, null], 2).map(key)).toEqual(['0,0', '1,0', '0,1', '1,1', '0,2']);
  });

  it('never puts two notes in one cell, however the facilitator piled them', () => {
    // Six notes dropped on one spot, two in corners, and twelve not placed.
    const places = [
      ...Array.from({ length: 6 }, () => ({ x: 0.5, y: 0.5 })),
      { x: 0, y: 0 },
      { x: 1, y: 1 },
      ...Array.from({ length: 12 }, () => null),
    ];
    for (const columns of [1, 2, 3, 4]) {
      const cells = cellsFor(places, columns);
      expect(new Set(cells.map(key)).size).toBe(places.length);
      // Rows stay within what the notes need.
      expect(Math.max(...cells.map((cell) => cell.row))).toBeLessThan(Math.ceil(places.length / columns));
    }
  });

  it('keeps a placed note near its place: top left stays top left, bottom right bottom right', () => {
    const cells = cellsFor([{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 0.9, y: 0.05 }, null, null, null], 3);
    expect(cells[0]).toEqual({ column: 0, row: 0 });
    expect(cells[1]).toEqual({ column: 2, row: 1 });
    expect(cells[2]).toEqual({ column: 2, row: 0 });
    // The rest fill the free cells in order.
    expect(cells.slice(3).map(key)).toEqual(['1,0', '0,1', '1,1']);
  });

  it('takes the nearest free cell when the cell under a note is taken', () => {
    const cells = cellsFor([{ x: 0.5, y: 0.5 }, { x: 0.5, y: 0.5 }, { x: 0.5, y: 0.5 }, null, null, null, null, null, null], 3);
    expect(cells[0]).toEqual({ column: 1, row: 1 });
    const distance = (cell: { column: number; row: number }) => Math.abs(cell.column - 1) + Math.abs(cell.row - 1);
    expect(distance(cells[1]!)).toBe(1);
    expect(distance(cells[2]!)).toBe(1);
  });

  it('closes rows left empty, and makes each row as tall as its tallest note', () => {
    const cells = closeEmptyRows([
      { column: 0, row: 0 },
      { column: 1, row: 3 },
      { column: 0, row: 3 },
    ]);
    expect(cells.map(key)).toEqual(['0,0', '1,1', '0,1']);
    expect(rowHeights(cells, [50, 80, 60])).toEqual([50, 80]);
  });

  it('packs notes into the column that ends highest, without overlap, paging only when none fits', () => {
    const heights = [40, 100, 40, 40, 40, 60, 30];
    const pages = packColumns(heights, 2, 250, 10);
    expect(pages).toHaveLength(1);
    // 40 | 100, then 40 under the first (ends 90), 40 (ends 140), 40 under the second (ends
    // 150), 60 under the first (ends 210), 30 under the second.
    expect(pages[0]!.spots.map((spot) => [spot.column, spot.top])).toEqual([
      [0, 0],
      [1, 0],
      [0, 50],
      [0, 100],
      [1, 110],
      [0, 150],
      [1, 160],
    ]);
    apart(pages, heights, 250, 10);
    // In 200 px the 60 fits under neither column: a second page.
    const paged = packColumns(heights, 2, 200, 10);
    expect(paged.map((page) => page.spots.length)).toEqual([5, 2]);
    apart(paged, heights, 200, 10);
    const tight = packColumns(heights, 2, 120, 10);
    expect(tight.length).toBeGreaterThan(1);
    expect(tight.flatMap((page) => page.spots.map((spot) => spot.index)).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    apart(tight, heights, 120, 10);
  });

  it('places arranged notes in rows of cells, none overlapping, on pages that fit', () => {
    const places = [{ x: 0.5, y: 0.5 }, { x: 0.5, y: 0.5 }, { x: 0.5, y: 0.5 }, { x: 0.5, y: 0.5 }, null, null, null, null];
    const heights = [50, 80, 30, 30, 30, 40, 60, 30];
    for (const room of [500, 150]) {
      const pages = placeInCells(places, heights, 2, room, 8);
      expect(pages.flatMap((page) => page.spots.map((spot) => spot.index)).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      apart(pages, heights, room, 8);
      for (const page of pages) expect(page.height).toBeLessThanOrEqual(room);
    }
  });

  it('chooses the fewest pages, then the biggest notes', () => {
    const frames = [{ places: Array.from({ length: 6 }, () => null) }];
    // One column: six notes of 100 px in 350 px need two pages; two columns (notes taller,
    // 120 px, as they are narrower): three of 120 + 2 gaps of 10 = 380 > 350 a column, two
    // pages; three columns: two of 150 a column, one page.
    const choice = chooseColumns(
      frames,
      [
        { columns: 1, heights: [[100, 100, 100, 100, 100, 100]] },
        { columns: 2, heights: [[120, 120, 120, 120, 120, 120]] },
        { columns: 3, heights: [[150, 150, 150, 150, 150, 150]] },
      ],
      350,
      10,
    );
    expect(choice?.columns).toBe(3);
    expect(choice?.pageCount).toBe(1);
    // With room for all in one column, one column it is.
    expect(chooseColumns(frames, [{ columns: 1, heights: [[50, 50, 50, 50, 50, 50]] }, { columns: 2, heights: [[50, 50, 50, 50, 50, 50]] }], 400, 10)?.columns).toBe(1);
  });

  it('pages only when even the narrowest notes do not fit', () => {
    const frames = [{ places: Array.from({ length: 20 }, () => null) }, { places: Array.from({ length: 4 }, () => null) }];
    const heights = (h: number) => [Array.from({ length: 20 }, () => h), Array.from({ length: 4 }, () => h)];
    const choice = chooseColumns(frames, [{ columns: 2, heights: heights(100) }, { columns: 4, heights: heights(100) }], 250, 10);
    // Four columns: five notes of 100 a column in 250 px: two a page, three pages.
    expect(choice?.columns).toBe(4);
    expect(choice?.pageCount).toBe(3);
    expect(choice?.pages[1]).toHaveLength(1);
  });

  it('shrinks the type before it turns to pages, and keeps the largest type that fits', () => {
    const frames = [{ places: Array.from({ length: 4 }, () => null) }];
    const choice = chooseColumns(
      frames,
      [
        { columns: 1, scale: 1, heights: [[60, 60, 60, 60]] },
        { columns: 1, scale: 0.9, heights: [[50, 50, 50, 50]] },
        { columns: 1, scale: 0.75, heights: [[40, 40, 40, 40]] },
      ],
      220,
      10,
    );
    // 4 × 60 + 30 = 270 > 220; 4 × 50 + 30 = 230 > 220; 4 × 40 + 30 = 190: the smallest fits.
    expect(choice?.scale).toBe(0.75);
    expect(choice?.pageCount).toBe(1);
    const roomy = chooseColumns(frames, [{ columns: 1, scale: 1, heights: [[40, 40, 40, 40]] }, { columns: 1, scale: 0.75, heights: [[30, 30, 30, 30]] }], 220, 10);
    expect(roomy?.scale).toBe(1);
  });

  it('ranks notes by dots while voting, ties as they came', () => {
    const notes = [
      { id: 'a', votes: 1 },
      { id: 'b', votes: 5 },
      { id: 'c', votes: 1 },
      { id: 'd', votes: 0 },
    ];
    expect(rankedNotes(notes, true).map((note) => note.id)).toEqual(['b', 'a', 'c', 'd']);
    expect(rankedNotes(notes, false).map((note) => note.id)).toEqual(['a', 'b', 'c', 'd']);
  });
});
