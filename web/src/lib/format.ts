// How results read, on screens and to screen readers.

/** "MINUS SIGN", which reads better than a hyphen beside a plus sign. */
const MINUS = '\u2212';

/**
 * The one rounding rule of every screen, report and spreadsheet: one decimal, halves away
 * from zero (2.25 → 2.3, 2.35 → 2.4, −2.25 → −2.3, 0.05 → 0.1).
 *
 * Decided by the decimal a person reads, not by the binary float: 1.15 is stored as
 * 1.149999…, and `toFixed(1)` (or `Math.round(x * 10) / 10`) gives 1.1, while anyone doing
 * the sum by hand gets 1.2. So the figure is first taken to four decimals, as the
 * spreadsheet stores it, then its tenths are rounded half away from zero: exactly the rule
 * of the server's reports (`export::one_decimal`), so that no screen and no report differ.
 */
export function roundHalfAway(value: number): number {
  const quantised = Math.round(Math.abs(value) * 1e4);
  const tenths = Math.floor((quantised + 500) / 1000);
  return tenths === 0 ? 0 : (Math.sign(value) * tenths) / 10;
}

/** `roundHalfAway`, written with its one decimal: "2.3", "−0.4" (minus sign), "0.0". */
export function formatRounded(value: number): string {
  const rounded = roundHalfAway(value);
  const text = Math.abs(rounded).toFixed(1);
  return rounded < 0 ? `${MINUS}${text}` : text;
}

/** A mean as shown: one decimal ("3.2"), or a dash when nobody answered. */
export function formatMean(mean: number | null | undefined): string {
  return mean == null || !Number.isFinite(mean) ? '\u2013' : formatRounded(mean);
}

/** A change as shown: "+1.2", "−0.4", "0.0"; a dash when there is nothing to compare. */
export function formatChange(change: number | null | undefined): string {
  if (change == null || !Number.isFinite(change)) return '\u2013';
  const rounded = roundHalfAway(change);
  const text = Math.abs(rounded).toFixed(1);
  if (rounded === 0) return '0.0';
  return rounded > 0 ? `+${text}` : `${MINUS}${text}`;
}

/** A change in words, for screen readers: "up 1.2", "down 0.4", "no change". */
export function describeChange(change: number | null | undefined): string {
  if (change == null || !Number.isFinite(change)) return 'no comparison yet';
  const text = Math.abs(roundHalfAway(change)).toFixed(1);
  if (text === '0.0') return 'no change';
  return change > 0 ? `up ${text}` : `down ${text}`;
}

/** "1 answer", "12 answers". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
