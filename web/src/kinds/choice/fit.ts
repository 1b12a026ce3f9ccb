// The projector's results of the one-message kinds on one screen: the type is as large as
// the room below the title bar allows. Measured on the real window (as the scale's pages
// are): the results' `--fit` (a factor on their type, 0.5–1) is the largest that keeps
// their bottom above the window's, found by halving in 7 layouts (1/128 apart).

import { remeasureOnResize } from '../../lib/remeasure';

const LEAST = 0.5;

/** Sets `--fit` on `element` to the largest factor that fits; 1 when all fits as designed. */
export function fitNow(element: HTMLElement): number {
  const screen = element.closest('.presenter');
  const padding = screen ? parseFloat(getComputedStyle(screen).paddingBottom) || 0 : 0;
  const room = () => window.innerHeight - padding - 2;
  const fits = (factor: number) => {
    element.style.setProperty('--fit', String(factor));
    return element.getBoundingClientRect().bottom <= room();
  };
  if (fits(1)) return 1;
  let low = LEAST;
  let high = 1;
  for (let i = 0; i < 7; i++) {
    const mid = (low + high) / 2;
    if (fits(mid)) low = mid;
    else high = mid;
  }
  element.style.setProperty('--fit', String(low));
  return low;
}

/**
 * A Svelte action: fits the element now, when the window or its fonts change, and when
 * `data` changes (new results change the figures' widths, and so where texts wrap): at
 * most once per frame, however fast results come.
 */
export function fit(element: HTMLElement, data: unknown): { update: (next: unknown) => void; destroy: () => void } {
  let frame = requestAnimationFrame(() => fitNow(element));
  const stop = remeasureOnResize(() => fitNow(element));
  let last = data;
  return {
    update(next: unknown) {
      if (next === last) return;
      last = next;
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => fitNow(element));
    },
    destroy() {
      cancelAnimationFrame(frame);
      stop();
    },
  };
}
