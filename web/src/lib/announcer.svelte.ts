// What the page's one polite live region says. Immediate messages ("Answer saved") go out at
// once; summaries of live results go through a throttle, so that a screen reader hears the
// results now and then rather than on every frame.

import { Throttle } from './throttle';

/** Least time between two announced summaries of live results. */
export const RESULTS_INTERVAL_MS = 15_000;

export class Announcer {
  /** The region's text. */
  readonly region: { text: string } = $state({ text: '' });

  #throttle = new Throttle(RESULTS_INTERVAL_MS, (text) => this.say(text));
  #flip: ReturnType<typeof setTimeout> | null = null;

  /** Says something now. The same words said twice are announced twice. */
  say(text: string): void {
    if (this.#flip !== null) clearTimeout(this.#flip);
    // Empty the region first: a screen reader announces a change, not a repeat.
    this.region.text = '';
    this.#flip = setTimeout(() => {
      this.#flip = null;
      this.region.text = text;
    }, 100);
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
    if (this.#flip !== null) clearTimeout(this.#flip);
  }
}
