import { describe, expect, it } from 'vitest';

import { formatCode, parseCode, spellCode } from './code';

describe('join codes', () => {
  it('reads codes typed with spaces, hyphens or nothing', () => {
    expect(parseCode('12345678')).toBe('12345678');
    expect(parseCode('1234 5678')).toBe('12345678');
    expect(parseCode(' 1234-5678 ')).toBe('12345678');
    expect(parseCode('12 34 56 78')).toBe('12345678');
    expect(parseCode('1234\u20135678')).toBe('12345678');
  });

  it('refuses anything that is not eight digits', () => {
    expect(parseCode('')).toBeNull();
    expect(parseCode('1234567')).toBeNull();
    expect(parseCode('123456789')).toBeNull();
    expect(parseCode('1234 567a')).toBeNull();
    expect(parseCode('١٢٣٤٥٦٧٨')).toBeNull();
  });

  it('shows a code in two groups of four', () => {
    expect(formatCode('48213377')).toBe('4821 3377');
    expect(formatCode('oops')).toBe('oops');
  });

  it('spells a code digit by digit for screen readers', () => {
    expect(spellCode('48213377')).toBe('4 8 2 1, 3 3 7 7');
  });
});
