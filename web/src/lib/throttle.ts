// Throttled announcements: live results change many times a second, but a screen reader
// should hear a summary now and then, and the latest one in the end.

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Passes texts on to `emit` at most once per `interval` milliseconds. A text pushed too soon
 * waits, replaced by any newer one, and goes out when the interval has passed. A text equal
 * to the last one emitted is dropped.
 */
export class Throttle {
  #last: string | null = null;
  #lastAt = Number.NEGATIVE_INFINITY;
  #pending: string | null = null;
  #timer: unknown = null;

  constructor(
    private readonly interval: number,
    private readonly emit: (text: string) => void,
    private readonly clock: Clock = realClock,
  ) {}

  push(text: string): void {
    if (this.#timer === null && text === this.#last) return;
    const wait = this.#lastAt + this.interval - this.clock.now();
    if (wait <= 0 && this.#timer === null) {
      this.#send(text);
      return;
    }
    this.#pending = text;
    if (this.#timer === null) {
      this.#timer = this.clock.setTimeout(() => {
        this.#timer = null;
        const next = this.#pending;
        this.#pending = null;
        if (next !== null && next !== this.#last) this.#send(next);
      }, Math.max(0, wait));
    }
  }

  /** Forgets what was waiting (the page changed). */
  cancel(): void {
    if (this.#timer !== null) this.clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#pending = null;
  }

  #send(text: string): void {
    this.#last = text;
    this.#lastAt = this.clock.now();
    this.emit(text);
  }
}
