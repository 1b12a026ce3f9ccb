import { describe, expect, it } from 'vitest';

import { choiceProblems, fromChoiceDraft, newChoiceDraft, toChoiceDraft } from './draft';
import { chooseText, optionRound, shareChange, sharesNote, summariseChoice, toggleChoice } from './format';
import { lineProblems, moveLine, percent, shownRounds } from './rounds';
import type { ChoiceActivity, ChoiceAggregate } from './wire';

const activity: ChoiceActivity = {
  id: 'c1',
  kind: 'choice',
  title: 'Which word should we use?',
  options: ['Co-production', 'Working together', 'Partnership'],
  max_choices: 2,
  rounds: ['Before', 'After'],
};

const data: ChoiceAggregate = {
  kind: 'choice',
  options: [
    { text: 'Co-production', rounds: { Before: { count: 2 }, After: { count: 1 } } },
    { text: 'Working together', rounds: { Before: { count: 1 }, After: { count: 3 } } },
    { text: 'Partnership', rounds: { Before: { count: 1 }, After: { count: 0 } } },
  ],
  rounds: { Before: { n: 3 }, After: { n: 4 } },
};

describe('choosing', () => {
  it('replaces the one choice', () => {
    expect(toggleChoice([0], 2, 1)).toEqual({ chosen: [2], refused: false });
  });

  it('ticks up to the limit and refuses the next', () => {
    let state = toggleChoice([], 2, 2);
    expect(state).toEqual({ chosen: [2], refused: false });
    state = toggleChoice(state.chosen, 0, 2);
    expect(state).toEqual({ chosen: [0, 2], refused: false });
    expect(toggleChoice(state.chosen, 1, 2)).toEqual({ chosen: [0, 2], refused: true });
    expect(toggleChoice(state.chosen, 2, 2)).toEqual({ chosen: [0], refused: false });
  });

  it('says the limit plainly', () => {
    expect(chooseText(1)).toBe('Choose one.');
    expect(chooseText(3)).toBe('Choose up to 3.');
  });
});

describe('shares', () => {
  it('are of the people who answered, rounded half up to whole percents', () => {
    expect(percent(1, 3)).toBe(33);
    expect(percent(2, 3)).toBe(67);
    expect(percent(1, 8)).toBe(13);
    expect(percent(0, 0)).toBe(0);
    expect(optionRound(data, 0, 'Before')).toEqual({ count: 2, share: 67 });
    expect(optionRound(data, 1, 'After')).toEqual({ count: 3, share: 75 });
  });

  it('change between the first and the last round in percentage points', () => {
    expect(shareChange(data, 1, ['Before', 'After'])).toBe(75 - 33);
    expect(shareChange(data, 0, ['Before', 'After'])).toBe(25 - 67);
    expect(shareChange(data, 0, ['Before'])).toBeNull();
    const noAfter = { ...data, rounds: { Before: { n: 3 } } };
    expect(shareChange(noAfter, 0, ['Before', 'After'])).toBeNull();
  });

  it('say they can add up to more than 100% with several choices', () => {
    expect(sharesNote(activity, 4)).toContain('more than 100%');
    expect(sharesNote({ max_choices: 1 }, 1)).toBe('Shares are of the 1 person who answered.');
  });

  it('summarise the round asked, most chosen first', () => {
    expect(summariseChoice(activity, data, 'After')).toBe(
      'After: 4 people answered. Most chosen: Working together 3 (75%), Co-production 1 (25%), Partnership 0 (0%).',
    );
    const one = { ...activity, rounds: [] };
    expect(summariseChoice(one, { kind: 'choice', options: [], rounds: {} }, null)).toBe('no answers yet.');
  });

  it('keeps rounds the activity no longer names, after its own', () => {
    expect(shownRounds(['Before'], [{ Before: 1, Old: 2 }])).toEqual(['Before', 'Old']);
    expect(shownRounds([], [{}])).toEqual(['']);
  });
});

describe('the editor', () => {
  it('round-trips a choice and finds nothing wrong', () => {
    const draft = toChoiceDraft(activity);
    expect(choiceProblems(draft)).toEqual([]);
    expect(fromChoiceDraft(draft)).toEqual(activity);
  });

  it('names what is wrong: empty, the same option twice, too many choices', () => {
    const draft = { ...newChoiceDraft(), title: 'Q', options: ['Yes', ' yes ', ''], maxChoices: 4 };
    expect(choiceProblems(draft)).toEqual([
      'Option 2 is the same as option 1.',
      'Option 3 is empty.',
      'How many each person may choose must be a whole number from 1 to 3.',
    ]);
    expect(lineProblems(['a'], { one: 'item', many: 'items' }, { min: 2, max: 10, chars: 10 })).toEqual([
      'Give at least 2 items.',
    ]);
  });

  it('moves a line by one place, not past the ends', () => {
    const list = ['a', 'b', 'c'];
    expect(moveLine(list, 0, -1)).toBe(false);
    expect(moveLine(list, 0, 1)).toBe(true);
    expect(list).toEqual(['b', 'a', 'c']);
    expect(moveLine(list, 2, 1)).toBe(false);
  });
});
