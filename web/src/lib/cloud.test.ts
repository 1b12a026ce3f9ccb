import { describe, expect, it } from 'vitest';

import { StableOrder, WORD_COLOURS, wordSize } from './cloud';
import { contrast } from './palette';

describe('word cloud drawing', () => {
  it('sizes words by the square root of their share of the largest count', () => {
    expect(wordSize(4, 4)).toBe(3.2);
    expect(wordSize(1, 4)).toBe(2.1);
    expect(wordSize(0, 4)).toBe(1);
    expect(wordSize(9, 4)).toBe(3.2);
  });

  it('keeps words where they first appeared', () => {
    const order = new StableOrder();
    const entry = (id: string, count: number) => ({ id, text: id, count, hidden: false });
    expect(order.arrange([entry('a', 2), entry('b', 1)]).map((e) => e.id)).toEqual(['a', 'b']);
    expect(order.arrange([entry('b', 5), entry('c', 3), entry('a', 2)]).map((e) => e.id)).toEqual(['a', 'b', 'c']);
  });

  it('uses word colours that read on white', () => {
    for (const colour of WORD_COLOURS) expect(contrast(colour, '#ffffff')).toBeGreaterThanOrEqual(4.5);
  });
});
