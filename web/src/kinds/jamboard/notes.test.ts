import { describe, expect, it } from 'vitest';

import { NOTE_COLOURS, dotsLeft, noteColour, placePercent } from './notes';
import { contrast } from '../../lib/palette';

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
});
