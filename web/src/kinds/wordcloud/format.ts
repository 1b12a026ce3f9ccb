// How a word cloud's results read, on screens and to screen readers.

import { plural } from '../../lib/format';
import type { WordCloudAggregate } from '../../lib/protocol';

/** Word-cloud entries people may see: hidden ones left out. */
export function visibleEntries(data: WordCloudAggregate): WordCloudAggregate['entries'] {
  return data.entries.filter((entry) => !entry.hidden);
}

/**
 * "17 words from 10 people", as the server counts them: hidden entries are left out of both
 * (the server's `total` and `participants`; the entries it sends are only the top 150
 * groups, so the words cannot be added up here).
 */
export function cloudTotals(data: WordCloudAggregate): string {
  return `${plural(data.total, 'word')} from ${plural(data.participants, 'person', 'people')}`;
}

/** A short summary of a word cloud for the live region: the count and the top words. */
export function summariseCloud(data: WordCloudAggregate, top = 5): string {
  const shown = visibleEntries(data);
  if (shown.length === 0) return 'No words yet.';
  const head = `${cloudTotals(data)}.`;
  const words = shown
    .slice(0, top)
    .map((entry) => `${entry.text} ${entry.count}`)
    .join(', ');
  return `${head} Most named: ${words}.`;
}
