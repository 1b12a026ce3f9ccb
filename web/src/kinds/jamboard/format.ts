// How a jam board's results read to screen readers.

import { plural } from '../../lib/format';
import type { JamboardAggregate } from '../../lib/protocol';

/** A short summary of a jam board for the live region: notes per frame, common words. */
export function summariseBoard(data: JamboardAggregate, top = 5): string {
  const frames = data.frames
    .map((frame) => `${frame.title}: ${plural(frame.notes.filter((note) => !note.hidden).length, 'note')}`)
    .join(', ');
  const words = data.keywords.slice(0, top).map((keyword) => keyword.text);
  return `${frames}.${words.length > 0 ? ` Common words: ${words.join(', ')}.` : ''}`;
}
