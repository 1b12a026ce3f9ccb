import { afterEach, describe, expect, it, vi } from 'vitest';

import { addLine, removeLine } from './listEdit';

// The page's elements, as far as focusing them goes: which id was focused last.
function fakePage(): { focused: () => string | null } {
  let last: string | null = null;
  vi.stubGlobal('document', {
    getElementById: (id: string) => ({
      focus: () => {
        last = id;
      },
    }),
  });
  return { focused: () => last };
}

const idOf = (i: number) => `statement-${i}`;
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('editing a list of lines', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('adds an empty line at the end and puts the focus in it', async () => {
    const page = fakePage();
    const list = ['one', 'two'];
    addLine(list, idOf);
    await settle();
    expect(list).toEqual(['one', 'two', '']);
    expect(page.focused()).toBe('statement-2');
  });

  it('removes a line and focuses the one that took its place', async () => {
    const page = fakePage();
    const list = ['one', 'two', 'three'];
    removeLine(list, 1, idOf, 'add');
    await settle();
    expect(list).toEqual(['one', 'three']);
    expect(page.focused()).toBe('statement-1');
  });

  it('focuses the line before when the last one goes', async () => {
    const page = fakePage();
    const list = ['one', 'two'];
    removeLine(list, 1, idOf, 'add');
    await settle();
    expect(page.focused()).toBe('statement-0');
  });

  it('focuses the Add button when the list is empty', async () => {
    const page = fakePage();
    const list = ['only'];
    removeLine(list, 0, idOf, 'add');
    await settle();
    expect(list).toEqual([]);
    expect(page.focused()).toBe('add');
  });
});
