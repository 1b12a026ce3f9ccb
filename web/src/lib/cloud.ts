// The word cloud's drawing: sizes by count, and an order that does not jump as counts change.

import type { CloudEntry } from './protocol';

/** Font size of a word, in em, from its count and the largest count (square-root scale). */
export function wordSize(count: number, largest: number, min = 1, max = 3.2): number {
  if (largest <= 0 || count <= 0) return min;
  const share = Math.sqrt(Math.min(count, largest) / largest);
  return Math.round((min + (max - min) * share) * 100) / 100;
}

/**
 * Remembers the order in which words first appeared, so that a word keeps its place in the
 * cloud while counts change and new words join at the end.
 */
export class StableOrder {
  #seen = new Map<string, number>();

  arrange(entries: CloudEntry[]): CloudEntry[] {
    for (const entry of entries) {
      if (!this.#seen.has(entry.id)) this.#seen.set(entry.id, this.#seen.size);
    }
    return [...entries].sort((a, b) => (this.#seen.get(a.id) ?? 0) - (this.#seen.get(b.id) ?? 0));
  }
}

/** Text colours for words, each at least 4.5:1 on white, cycled through the cloud. */
export const WORD_COLOURS = ['#0f5c8c', '#5b2a86', '#1a6b37', '#8a3b12', '#1b1f24'] as const;
