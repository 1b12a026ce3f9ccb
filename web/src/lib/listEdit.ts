// Lists of text fields in the agenda editor (statements, rounds, frames): adding or removing
// a line moves the keyboard focus where the person is working, not back to the page's top.

import { tick } from 'svelte';

/** Focuses the element with this id once the page shows the latest change. */
export async function focusSoon(id: string): Promise<void> {
  await tick();
  document.getElementById(id)?.focus();
}

/**
 * Adds an empty line at the end of `list` and focuses it; `idOf(i)` is line i's field id.
 */
export function addLine(list: string[], idOf: (i: number) => string): void {
  list.push('');
  void focusSoon(idOf(list.length - 1));
}

/**
 * Removes line `i` and focuses the line that took its place (or the one before it); when
 * the list is now empty, the element `whenEmpty` (its "Add" button).
 */
export function removeLine(list: string[], i: number, idOf: (i: number) => string, whenEmpty: string): void {
  list.splice(i, 1);
  void focusSoon(list.length > 0 ? idOf(Math.min(i, list.length - 1)) : whenEmpty);
}
