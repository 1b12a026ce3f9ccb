import { describe, expect, it } from 'vitest';

import {
  CloudPlaces,
  fontSizes,
  hashString,
  largestSize,
  layoutKey,
  layoutOrder,
  MAX_SPIRAL_STEPS,
  placedWords,
  seededRandom,
  startingSpiral,
  WORD_COLOURS,
  wordColour,
} from './cloud';
import { contrast } from '../../lib/palette';

const word = (id: string, size: number) => ({ id, text: id, size });

describe('word cloud sizes', () => {
  it('sizes words by the square root of their share of the largest count, in steps', () => {
    const sizes = fontSizes(
      [
        { id: 'a', count: 16 },
        { id: 'b', count: 4 },
        { id: 'c', count: 1 },
      ],
      { min: 20, max: 100, step: 2 },
    );
    expect(sizes.get('a')).toBe(100);
    expect(sizes.get('b')).toBe(60);
    expect(sizes.get('c')).toBe(40);
  });

  it('gives the smallest size when nothing has been counted', () => {
    expect(fontSizes([{ id: 'a', count: 0 }], { min: 18, max: 90 }).get('a')).toBe(18);
  });

  it('shrinks the largest word as the cloud fills', () => {
    const few = largestSize(3, 1200, 640);
    const many = largestSize(150, 1200, 640);
    expect(few).toBeGreaterThan(many);
    expect(many).toBeGreaterThanOrEqual(28);
    expect(few).toBeLessThanOrEqual(200);
  });
});

describe('word cloud places', () => {
  it('orders words as d3-cloud does: biggest first, ties as given', () => {
    expect(layoutOrder([word('a', 20), word('b', 40), word('c', 20), word('d', 40)]).map((w) => w.id)).toEqual([
      'b',
      'd',
      'a',
      'c',
    ]);
  });

  it('starts known words where they were and new ones afresh', () => {
    const places = new CloudPlaces();
    const first = [word('together', 60), word('trust', 30)];
    expect(places.plan(first).map((r) => r.start)).toEqual([null, null]);
    places.commit(first, [
      { id: 'together', x: 0.4, y: -2.6 },
      { id: 'trust', x: 120, y: 40 },
    ]);
    const plan = places.plan([word('trust', 30), word('families', 44), word('together', 64)]);
    expect(plan.map((r) => r.id)).toEqual(['together', 'families', 'trust']);
    expect(plan.map((r) => r.start)).toEqual([{ x: 0, y: -3 }, null, { x: 120, y: 40 }]);
  });

  it('forgets the place of a word the layout could not fit, and keeps those not laid out', () => {
    const places = new CloudPlaces();
    places.commit([word('a', 20), word('b', 20)], [
      { id: 'a', x: 1, y: 1 },
      { id: 'b', x: 2, y: 2 },
    ]);
    // 'b' is hidden for a while: not in the next layout, which cannot fit 'c'.
    places.commit([word('a', 20), word('c', 20)], [{ id: 'a', x: 1, y: 1 }]);
    expect(places.place('a')).toEqual({ x: 1, y: 1 });
    expect(places.place('b')).toEqual({ x: 2, y: 2 });
    expect(places.place('c')).toBeUndefined();
    expect(places.size).toBe(2);
  });

  it('changes its key only when words or sizes change', () => {
    const a = layoutKey([word('a', 20), word('b', 30)]);
    expect(layoutKey([word('a', 20), word('b', 30)])).toBe(a);
    expect(layoutKey([word('a', 22), word('b', 30)])).not.toBe(a);
    expect(layoutKey([word('a', 20)])).not.toBe(a);
  });
});

describe('the starting spiral', () => {
  it('tries a known word at its old place first, then nearby', () => {
    const places = new CloudPlaces();
    places.commit([word('a', 50), word('b', 20)], [
      { id: 'a', x: -100, y: 50 },
      { id: 'b', x: 200, y: -80 },
    ]);
    const requests = places.plan([word('a', 50), word('b', 20)]);
    const spiral = startingSpiral(requests);
    const forA = spiral([1200, 600]);
    expect(forA(0)).toEqual([-100, 50]);
    const [x, y] = forA(-30) ?? [0, 0];
    expect(Math.hypot(x + 100, y - 50)).toBeLessThan(10);
    const forB = spiral([1200, 600]);
    expect(forB(0)).toEqual([200, -80]);
    expect(forB(MAX_SPIRAL_STEPS + 1)).toBeNull();
  });

  it('starts a new word near the centre, the same way every time', () => {
    const requests = new CloudPlaces().plan([word('new', 30)]);
    const once = startingSpiral(requests)([1000, 500])(0);
    const again = startingSpiral(requests)([1000, 500])(0);
    expect(once).toEqual(again);
    const [x, y] = once ?? [999, 999];
    expect(Math.abs(x)).toBeLessThanOrEqual(60);
    expect(Math.abs(y)).toBeLessThanOrEqual(30);
  });

  it('moves outwards as it turns', () => {
    const spiral = startingSpiral([{ ...word('a', 20), start: { x: 0, y: 0 } }])([800, 400]);
    const near = spiral(-50) ?? [0, 0];
    const far = spiral(-2000) ?? [0, 0];
    expect(Math.hypot(...far)).toBeGreaterThan(Math.hypot(...near));
  });
});

describe('placed words', () => {
  it('keeps only words the layout placed, with a steady colour', () => {
    const requests = new CloudPlaces().plan([word('a', 40), word('b', 20)]);
    const placed = placedWords(requests, [{ id: 'b', x: 10.4, y: -3.6 }]);
    expect(placed).toEqual([{ id: 'b', text: 'b', size: 20, x: 10, y: -4, colour: wordColour('b') }]);
  });

  it('uses word colours that read on white', () => {
    for (const colour of WORD_COLOURS) expect(contrast(colour, '#ffffff')).toBeGreaterThanOrEqual(4.5);
  });

  it('seeds its random numbers', () => {
    const a = seededRandom(hashString('x'));
    const b = seededRandom(hashString('x'));
    const run = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(run);
    for (const n of run) expect(n).toBeGreaterThanOrEqual(0);
    for (const n of run) expect(n).toBeLessThan(1);
  });
});
