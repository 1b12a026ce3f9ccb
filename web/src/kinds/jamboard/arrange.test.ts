import { describe, expect, it } from 'vitest';

import { defaultPlace, movedBy } from './arrange';

describe('arranging notes', () => {
  it('lays out unplaced notes in a grid', () => {
    expect(defaultPlace(0, 1)).toEqual({ x: 1 / 6, y: 0.5 });
    expect(defaultPlace(4, 6)).toEqual({ x: 0.5, y: 0.75 });
  });

  it('moves by small or big steps within the frame', () => {
    const at = { frame: 0, x: 0.5, y: 0.5 };
    expect(movedBy(at, 'ArrowUp', false, 2)).toEqual({ frame: 0, x: 0.5, y: 0.45 });
    expect(movedBy(at, 'ArrowRight', true, 2)).toEqual({ frame: 0, x: 0.7, y: 0.5 });
    expect(movedBy({ ...at, y: 0.98 }, 'ArrowDown', true, 2)).toEqual({ frame: 0, x: 0.5, y: 1 });
    expect(movedBy(at, 'Enter', false, 2)).toBeNull();
  });

  it('crosses into the frame beside at an edge, and stops at the last one', () => {
    expect(movedBy({ frame: 0, x: 1, y: 0.3 }, 'ArrowRight', false, 2)).toEqual({ frame: 1, x: 0, y: 0.3 });
    expect(movedBy({ frame: 1, x: 0, y: 0.3 }, 'ArrowLeft', false, 2)).toEqual({ frame: 0, x: 1, y: 0.3 });
    expect(movedBy({ frame: 1, x: 1, y: 0.3 }, 'ArrowRight', false, 2)).toEqual({ frame: 1, x: 1, y: 0.3 });
  });
});
