// A countdown on the current activity, as every screen shows it: the server says when it
// ends on its own clock; each page corrects by the offset measured at its welcome.

import type { TimerView } from './protocol';

/**
 * Milliseconds left on this device's clock, never below zero, and never more than the
 * countdown's length: the clock offset measured at the welcome is off by the welcome's own
 * trip, which would otherwise make a fresh one-minute countdown read "1 minute 1 second"
 * and then say "1 minute left" at once.
 */
export function remainingMs(timer: TimerView, clockOffset: number, now = Date.now()): number {
  const left = Math.max(0, timer.ends_at - (now + clockOffset));
  return timer.seconds > 0 ? Math.min(left, timer.seconds * 1000) : left;
}

/** "4:05", "0:30", "12:00": whole seconds, rounded up so that "0:00" means it is over. */
export function formatRemaining(ms: number): string {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${String(seconds).padStart(2, '0')}`;
}

/** "5 minutes", "1 minute", "30 seconds", "1 minute 30 seconds", for people and screen readers. */
export function spokenDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  const parts: string[] = [];
  if (minutes > 0) parts.push(`${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`);
  if (rest > 0 || minutes === 0) parts.push(`${rest} ${rest === 1 ? 'second' : 'seconds'}`);
  return parts.join(' ');
}

/** The moments a screen reader hears, in seconds left: not every second. */
export const MILESTONES = [300, 60, 30, 0] as const;

/**
 * The milestone crossed between two readings of the time left (seconds, the earlier one
 * first), or null. Crossing several at once (a phone asleep) says only the last one.
 */
export function crossedMilestone(before: number, after: number): number | null {
  let crossed: number | null = null;
  for (const mark of MILESTONES) if (before > mark && after <= mark) crossed = mark;
  return crossed;
}

/** What is said at a milestone. */
export function milestoneText(mark: number, stopAnswers: boolean): string {
  if (mark === 0) return stopAnswers ? 'Time is up. Answers are closed.' : 'Time is up.';
  return `${spokenDuration(mark)} left.`;
}

/** What is said when a countdown starts (or is seen for the first time). */
export function startText(secondsLeft: number, stopAnswers: boolean): string {
  const left = spokenDuration(Math.ceil(secondsLeft));
  return stopAnswers ? `Timer started: ${left}. Answers close at zero.` : `Timer started: ${left}.`;
}

/** Minutes the console offers, within the server's 60–1800 seconds. */
export const TIMER_MINUTES = { min: 1, max: 30 } as const;
