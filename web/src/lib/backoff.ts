// Reconnection delays: exponential backoff with full jitter.
//
// Each attempt waits a random time between 0 and min(cap, base · 2^attempt), so a room full
// of phones that lost the Wi-Fi at the same moment does not come back at the same moment.

export interface BackoffOptions {
  /** Delay ceiling of the first retry, in milliseconds. */
  base: number;
  /** Largest delay, in milliseconds. */
  cap: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { base: 500, cap: 30_000 };

/** The largest delay of attempt `attempt` (0 for the first retry). */
export function backoffCeiling(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30);
  return Math.min(options.cap, options.base * 2 ** exponent);
}

/**
 * How long to wait before retry number `attempt` (0-based). `random` returns a number in
 * [0, 1), like `Math.random`.
 */
export function backoffDelay(
  attempt: number,
  random: () => number = Math.random,
  options: BackoffOptions = DEFAULT_BACKOFF,
): number {
  return Math.floor(random() * backoffCeiling(attempt, options));
}
