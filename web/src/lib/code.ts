// Join codes: eight digits, shown as "1234 5678", typed however people type them.

/** Number of digits in a join code. */
export const CODE_LENGTH = 8;

/**
 * Reads a code as a person typed it: spaces, hyphens and dots are ignored.
 * Returns the eight digits, or null when the input is not a code.
 */
export function parseCode(input: string): string | null {
  const digits = input.replace(/[\s\-.\u2010-\u2015]/g, '');
  return /^\d{8}$/.test(digits) ? digits : null;
}

/** "12345678" → "1234 5678". Anything else is returned as it is. */
export function formatCode(code: string): string {
  return /^\d{8}$/.test(code) ? `${code.slice(0, 4)} ${code.slice(4)}` : code;
}

/** The code spelled digit by digit, for screen readers: "1 2 3 4, 5 6 7 8". */
export function spellCode(code: string): string {
  if (!/^\d{8}$/.test(code)) return code;
  return `${code.slice(0, 4).split('').join(' ')}, ${code.slice(4).split('').join(' ')}`;
}
