// Sticky-note colours: light tints under dark text (well above 4.5:1), each with a name so
// that colour is never the only way to tell notes apart.

import type { Color } from '../../lib/protocol';

export interface NoteColour {
  value: Color;
  name: string;
  fill: string;
  /** Border and swatch edge: at least 3:1 against white. */
  edge: string;
}

export const NOTE_COLOURS: readonly NoteColour[] = [
  { value: 'yellow', name: 'Yellow', fill: '#fff1a8', edge: '#8a6d00' },
  { value: 'pink', name: 'Pink', fill: '#ffd9e8', edge: '#a3245a' },
  { value: 'blue', name: 'Blue', fill: '#d3e9ff', edge: '#1d5c9e' },
  { value: 'green', name: 'Green', fill: '#d6f3d8', edge: '#2a7a35' },
  { value: 'orange', name: 'Orange', fill: '#ffe2c7', edge: '#a14d00' },
  { value: 'purple', name: 'Purple', fill: '#e8defd', edge: '#6a3fb5' },
];

export function noteColour(value: Color): NoteColour {
  return NOTE_COLOURS.find((colour) => colour.value === value) ?? NOTE_COLOURS[0]!;
}

/** How many dots a participant has left on a board. */
export function dotsLeft(dots: number, used: string[]): number {
  return Math.max(0, dots - used.length);
}

/** A note's place as a percentage of its frame, clamped so that the note stays inside. */
export function placePercent(value: number): number {
  return Math.round(Math.min(1, Math.max(0, value)) * 1000) / 10;
}
