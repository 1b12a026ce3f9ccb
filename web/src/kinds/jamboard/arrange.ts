// Placing notes in a jam board's frames: where an unplaced note sits, and how the arrow keys
// move one. Places run from 0 to 1 across and down a frame.

export interface Place {
  frame: number;
  x: number;
  y: number;
}

/** Notes not placed yet, laid out in a grid of three columns, in the order they came. */
export function defaultPlace(index: number, count: number): { x: number; y: number } {
  const columns = 3;
  const rows = Math.max(1, Math.ceil(count / columns));
  const column = index % columns;
  const row = Math.floor(index / columns);
  return { x: (column + 0.5) / columns, y: (row + 0.5) / rows };
}

const clamp = (value: number) => Math.min(1, Math.max(0, Math.round(value * 1000) / 1000));

/**
 * The place an arrow key moves a note to: 5% a step, 20% with Shift. Past the left or right
 * edge, a note goes into the frame beside, at the facing edge. Null for other keys.
 */
export function movedBy(place: Place, key: string, shift: boolean, frames: number): Place | null {
  const step = shift ? 0.2 : 0.05;
  switch (key) {
    case 'ArrowUp':
      return { ...place, y: clamp(place.y - step) };
    case 'ArrowDown':
      return { ...place, y: clamp(place.y + step) };
    case 'ArrowLeft':
      if (place.x <= 0 && place.frame > 0) return { frame: place.frame - 1, x: 1, y: place.y };
      return { ...place, x: clamp(place.x - step) };
    case 'ArrowRight':
      if (place.x >= 1 && place.frame < frames - 1) return { frame: place.frame + 1, x: 0, y: place.y };
      return { ...place, x: clamp(place.x + step) };
    default:
      return null;
  }
}
