import { describe, expect, it } from 'vitest';

import { NOTE_COLOURS, NOTES_PER_PAGE, boardDensity, dotsLeft, noteColour, pageCount, pageSlice, placePercent } from './notes';
import { contrast } from './palette';

describe('sticky notes', () => {
  it('has readable text and visible edges on every colour', () => {
    for (const colour of NOTE_COLOURS) {
      expect(contrast(colour.fill, '#1b1f24')).toBeGreaterThanOrEqual(7);
      expect(contrast(colour.edge, '#ffffff')).toBeGreaterThanOrEqual(3);
    }
    expect(noteColour('green').name).toBe('Green');
  });

  it('counts dots left and clamps places', () => {
    expect(dotsLeft(3, ['a', 'a'])).toBe(1);
    expect(dotsLeft(1, ['a', 'b'])).toBe(0);
    expect(placePercent(0.1234)).toBe(12.3);
    expect(placePercent(1.5)).toBe(100);
    expect(placePercent(-1)).toBe(0);
  });

  it('draws a crowded board tighter, and in pages past 60 notes', () => {
    expect(boardDensity(10)).toBe('roomy');
    expect(boardDensity(40)).toBe('dense');
    expect(boardDensity(NOTES_PER_PAGE)).toBe('dense');
    expect(boardDensity(NOTES_PER_PAGE + 1)).toBe('crowded');
    expect(pageCount(0, 60)).toBe(1);
    expect(pageCount(61, 60)).toBe(2);
    expect(pageCount(2000, 60)).toBe(34);
    const notes = Array.from({ length: 7 }, (_, i) => i);
    expect(pageSlice(notes, 3, 0)).toEqual([0, 1, 2]);
    expect(pageSlice(notes, 3, 2)).toEqual([6]);
    expect(pageSlice(notes, 3, 3)).toEqual([0, 1, 2]);
  });
});
