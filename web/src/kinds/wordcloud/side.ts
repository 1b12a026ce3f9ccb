// A word cloud split by group on the projector: the words everyone named most, and how often
// each group named them.

import type { SideTableCell } from '../../lib/SideTable.svelte';
import type { WordCloudAggregate } from '../../lib/protocol';
import { visibleEntries } from './format';

/** Words are compared as the server groups them: trimmed, spaces folded, any case. */
const norm = (text: string) => text.normalize('NFKC').trim().replace(/\s+/g, ' ').toLocaleLowerCase();

/** The rows: everyone's most named words, most first. */
export function sideWords(total: WordCloudAggregate | null, top: number): string[] {
  if (!total) return [];
  return [...visibleEntries(total)]
    .sort((a, b) => b.count - a.count || a.text.localeCompare(b.text))
    .slice(0, top)
    .map((entry) => entry.text);
}

/** How often a group named each word (0 where it did not). */
export function sideCounts(words: readonly string[], data: WordCloudAggregate | null): SideTableCell[] {
  const counts = new Map<string, number>();
  for (const entry of data ? visibleEntries(data) : []) counts.set(norm(entry.text), (counts.get(norm(entry.text)) ?? 0) + entry.count);
  return words.map((word) => {
    const count = counts.get(norm(word)) ?? 0;
    return { main: String(count), sub: null, spoken: `${word}: ${count === 1 ? 'once' : `${count} times`}` };
  });
}
