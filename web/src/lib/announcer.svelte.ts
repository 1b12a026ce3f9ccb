// What the page's one polite live region says. Immediate messages ("Answer saved") go out at
// once; summaries of live results go through a throttle, so that a screen reader hears the
// results now and then rather than on every frame.

import { Throttle } from './throttle';

/** Least time between two announced summaries of live results. */
export const RESULTS_INTERVAL_MS = 15_000;

/**
 * How long the region stays empty before a message, and how long a message stays before the
 * next one replaces it. A screen reader announces a change, so the region is emptied first;
 * a message replaced sooner than the reader picks it up is never heard.
 */
export const FLIP_MS = 100;

export class Announcer {
  /** The region's text. */
  readonly region: { text: string } = $state({ text: '' });

  #throttle = new Throttle(RESULTS_INTERVAL_MS, (text) => this.say(text));
  /** Messages said but not yet in the region, oldest first. */
  #waiting: string[] = [];
  #flip: ReturnType<typeof setTimeout> | null = null;

  /**
   * Says something now, or just after what is being said. The same words said twice are
   * announced twice. Two messages at once (the timer reaching zero as the server closes
   * answers) are both heard, in order: the later one never silently replaces the earlier.
   */
  say(text: string): void {
    this.#waiting.push(text);
    if (this.#flip === null) this.#next();
  }

  /** Empties the region, then shows the oldest waiting message and holds it for a moment. */
  #next(): void {
    const text = this.#waiting.shift();
    if (text === undefined) {
      this.#flip = null;
      return;
    }
    this.region.text = '';
    this.#flip = setTimeout(() => {
      this.region.text = text;
      this.#flip = setTimeout(() => this.#next(), FLIP_MS);
    }, FLIP_MS);
  }

  /** Says a summary of live results, at most once per interval, the latest one winning. */
  summary(text: string): void {
    this.#throttle.push(text);
  }

  /** Drops a waiting summary (the step changed). */
  forgetSummary(): void {
    this.#throttle.cancel();
  }

  dispose(): void {
    this.#throttle.cancel();
    this.#waiting = [];
    if (this.#flip !== null) clearTimeout(this.#flip);
    this.#flip = null;
  }
}
