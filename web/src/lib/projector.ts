// What the projector works out for itself: how its results split into pages that fit the
// screen, which page shows when, and what a countdown reads. Pure functions, so that the
// rules are tested without a browser; the components measure and draw.

/**
 * Splits items of the given heights (in pixels, in order) into pages that each fit in
 * `room` pixels, `gap` pixels between two items. Every page holds at least one item, even
 * one taller than the room (it is drawn anyway: there is nothing smaller to show). Answers
 * the index of each page's first item and its count: `[{ start: 0, count: 5 }, …]`.
 */
export function splitPages(heights: number[], room: number, gap = 0): { start: number; count: number }[] {
  const pages: { start: number; count: number }[] = [];
  let start = 0;
  let used = 0;
  let count = 0;
  heights.forEach((height, i) => {
    const need = count === 0 ? height : used + gap + height;
    if (count > 0 && need > room) {
      pages.push({ start, count });
      start = i;
      used = height;
      count = 1;
    } else {
      used = need;
      count++;
    }
  });
  if (count > 0 || pages.length === 0) pages.push({ start, count });
  return pages;
}

/** "Statements 1–5 of 8", "Statement 8 of 8"; the plain word when everything is on one page. */
export function pageLabel(start: number, count: number, total: number, one: string, many = `${one}s`): string {
  const cap = (word: string) => `${word.charAt(0).toUpperCase()}${word.slice(1)}`;
  if (count >= total) return cap(total === 1 ? one : many);
  if (count <= 1) return `${cap(one)} ${start + 1} of ${total}`;
  return `${cap(many)} ${start + 1}\u2013${start + count} of ${total}`;
}

/**
 * The page to show: the facilitator's (`chosen`, from `step.page`; taken modulo the pages,
 * so that a page past the end shows the last one's neighbour rather than nothing), or the
 * page the automatic turning has reached.
 */
export function shownPage(chosen: number | null | undefined, turned: number, pages: number): number {
  if (pages <= 1) return 0;
  if (chosen != null && Number.isFinite(chosen) && chosen >= 0) return Math.min(Math.floor(chosen), pages - 1);
  return ((turned % pages) + pages) % pages;
}

/** How long pages stay before they turn by themselves. */
export const PAGE_EVERY_MS = 10_000;
