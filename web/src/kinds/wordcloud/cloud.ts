// The word cloud's bookkeeping: sizes by count, and places that stay put.
//
// d3-cloud lays words out one by one, biggest first, each from a starting point along a
// spiral until it finds room. It has no notion of words already on screen, so this module
// gives it one: every word shown keeps its place (relative to the cloud's centre), and the
// next layout starts each known word exactly there, and each new word near the centre. A
// word only moves when something bigger now covers its place, and then only to the nearest
// free spot. These functions are pure; `cloudLayout.ts` runs d3-cloud with them.

import type { CloudEntry } from '../../lib/protocol';

/** Text colours for words, each at least 4.5:1 on white, picked by the word's id. */
export const WORD_COLOURS = ['#0f5c8c', '#5b2a86', '#1a6b37', '#8a3b12', '#1b1f24', '#7a2048'] as const;

/** The font the cloud is measured and drawn in: the same on both sides, or words overlap. */
export const CLOUD_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Helvetica Neue', Arial, sans-serif";
export const CLOUD_WEIGHT = 700;

/** A word to lay out, in layout units (the SVG's user units). */
export interface CloudWord {
  id: string;
  text: string;
  size: number;
}

/** Where a word starts its search for room: its old place, or null for a new word. */
export interface LayoutRequest extends CloudWord {
  start: Point | null;
}

export interface Point {
  x: number;
  y: number;
}

/** A word on screen: its centre (baseline middle, as d3-cloud places it) from the cloud's centre. */
export interface Placed extends CloudWord, Point {
  colour: string;
}

/** A small, fast, seeded random number generator (mulberry32), for layouts that repeat. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable number from a string (FNV-1a), to seed per-word choices. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function wordColour(id: string): string {
  return WORD_COLOURS[hashString(id) % WORD_COLOURS.length] ?? WORD_COLOURS[0];
}

/**
 * Font sizes in layout units, by the square root of each count's share of the largest,
 * between `min` and `max`, rounded to `step` so that a count going up by one rarely changes
 * a size (and so rarely calls for a new layout).
 */
export function fontSizes(
  entries: Pick<CloudEntry, 'id' | 'count'>[],
  { min, max, step = 2 }: { min: number; max: number; step?: number },
): Map<string, number> {
  const largest = entries.reduce((most, entry) => Math.max(most, entry.count), 0);
  const sizes = new Map<string, number>();
  for (const entry of entries) {
    const share = largest > 0 ? Math.sqrt(Math.max(0, Math.min(entry.count, largest)) / largest) : 0;
    const size = min + (max - min) * share;
    sizes.set(entry.id, Math.max(min, Math.round(size / step) * step));
  }
  return sizes;
}

/**
 * The largest font size that leaves room for `count` words in a `width` × `height` cloud:
 * a big first word when there are few, smaller as the cloud fills.
 */
export function largestSize(count: number, width: number, height: number): number {
  const base = Math.min(width / 6, height / 3.2);
  const crowd = 1 / (1 + Math.max(0, count - 8) / 40);
  return Math.max(28, Math.round(base * (0.45 + 0.55 * crowd)));
}

/** The order in which d3-cloud places words: biggest first, ties in the order given. */
export function layoutOrder<T extends { size: number }>(words: T[]): T[] {
  // Array.prototype.sort is stable, as d3-cloud's own sort is: the two agree.
  return [...words].sort((a, b) => b.size - a.size);
}

/** A key that changes when a layout would: which words, in which sizes. */
export function layoutKey(words: CloudWord[]): string {
  return words.map((word) => `${word.id}\u0000${word.size}\u0000${word.text}`).join('\u0001');
}

/**
 * The places of the words on screen, kept from one layout to the next.
 */
export class CloudPlaces {
  #places = new Map<string, Point>();

  /** The layout requests for these words, in d3-cloud's order, known words from their place. */
  plan(words: CloudWord[]): LayoutRequest[] {
    return layoutOrder(words).map((word) => ({ ...word, start: this.#places.get(word.id) ?? null }));
  }

  /**
   * Records where a layout put the words it placed. Words of the layout it could not place
   * lose their place (they are not on screen); words not in the layout keep theirs, so a
   * word hidden and shown again comes back where it was, if there is room.
   */
  commit(requested: CloudWord[], placed: (Point & { id: string })[]): void {
    for (const word of requested) this.#places.delete(word.id);
    for (const word of placed) this.#places.set(word.id, { x: Math.round(word.x), y: Math.round(word.y) });
  }

  place(id: string): Point | undefined {
    return this.#places.get(id);
  }

  get size(): number {
    return this.#places.size;
  }

  clear(): void {
    this.#places.clear();
  }
}

/** Spiral steps tried per word before it is left out of the cloud (it stays in the list). */
export const MAX_SPIRAL_STEPS = 12_000;

/**
 * A spiral for d3-cloud that starts each word where `plan` says: d3-cloud starts every word at
 * the canvas centre (its random source returns 0.5) and asks the spiral for offsets, once per
 * word, in layout order. A known word's first offset is its old place; a new word starts a
 * little off centre (seeded by its id, so the same words give the same cloud). Returns the
 * spiral factory and a count of the words it was asked for.
 */
export function startingSpiral(requests: LayoutRequest[]): (size: [number, number]) => (t: number) => [number, number] | null {
  let next = 0;
  return (size: [number, number]) => {
    const request = requests[next++];
    const aspect = size[0] / size[1];
    let origin: Point;
    if (request?.start) origin = request.start;
    else {
      const random = seededRandom(hashString(request?.id ?? String(next)));
      origin = { x: (random() - 0.5) * size[0] * 0.12, y: (random() - 0.5) * size[1] * 0.12 };
    }
    return (t: number) => {
      const step = Math.abs(t);
      if (step > MAX_SPIRAL_STEPS) return null;
      const turn = step * 0.1;
      return [origin.x + aspect * turn * Math.cos(turn), origin.y + turn * Math.sin(turn)];
    };
  };
}

/** The placed words, with their colours, from a layout's answer. */
export function placedWords(requests: LayoutRequest[], placed: (Point & { id: string })[]): Placed[] {
  const byId = new Map(requests.map((request) => [request.id, request]));
  const words: Placed[] = [];
  for (const place of placed) {
    const request = byId.get(place.id);
    if (!request) continue;
    words.push({
      id: request.id,
      text: request.text,
      size: request.size,
      x: Math.round(place.x),
      y: Math.round(place.y),
      colour: wordColour(request.id),
    });
  }
  return words;
}
