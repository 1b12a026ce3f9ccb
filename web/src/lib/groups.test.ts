import { describe, expect, it } from 'vitest';

import { aggregate, stats } from './fixtures';
import {
  aboutYouChanged,
  aboutYouDraft,
  aboutYouLock,
  aboutYouProblems,
  attendanceRows,
  bookedBody,
  bookedProblems,
  byGroupOf,
  fewerThan,
  fromAboutYouDraft,
  gridShape,
  groupLabels,
  groupName,
  groupResults,
  projectorDraw,
  smallGroupsOf,
  splitColumns,
  viewFrom,
  type AboutYou,
} from './groups';
import type { Aggregate } from './protocol';

const about: AboutYou = { prompt: 'I am a…', groups: ['Parent carer', 'Young person', 'Professional', 'Other'], min_group_size: 5 };

const parents = { statements: [{ ...aggregate.statements[0]!, rounds: { Before: stats([0, 1, 0, 0, 0]) } }] };
/** A console's frame: real figures for every group, the small one listed. */
const consoleFrame = {
  ...aggregate,
  by_group: { 'Parent carer': parents, 'Young person': parents, Professional: parents },
  small_groups: ['Young person'],
} as unknown as Aggregate;
/** The projector's: the small group suppressed. */
const projectorFrame = {
  ...aggregate,
  by_group: { 'Parent carer': parents, 'Young person': { suppressed: true }, Professional: parents },
} as unknown as Aggregate;

describe('the About-you card', () => {
  it('starts off, with the question and two empty groups ready, and K at 5', () => {
    const draft = aboutYouDraft(null);
    expect(draft).toEqual({ on: false, prompt: 'I am a…', groups: ['', ''], k: '5' });
    expect(aboutYouProblems(draft)).toEqual([]);
    expect(fromAboutYouDraft(draft)).toBeNull();
  });

  it('round-trips a saved question, tidying the labels', () => {
    const draft = aboutYouDraft(about);
    expect(fromAboutYouDraft(draft)).toEqual(about);
    draft.groups[0] = '  Parent   carer ';
    expect(fromAboutYouDraft(draft)?.groups[0]).toBe('Parent carer');
    expect(aboutYouChanged(draft, about)).toBe(false);
    draft.k = '7';
    expect(aboutYouChanged(draft, about)).toBe(true);
    expect(aboutYouChanged(aboutYouDraft(null), null)).toBe(false);
    expect(aboutYouChanged({ ...aboutYouDraft(about), on: false }, about)).toBe(true);
  });

  it('refuses what the server refuses: too few or many groups, empty or same labels, K below 3', () => {
    const draft = { ...aboutYouDraft(about), groups: ['Parent carer'] };
    expect(aboutYouProblems(draft)).toEqual(['About you: give at least 2 groups.']);
    draft.groups = Array.from({ length: 9 }, (_, i) => `Group ${i}`);
    expect(aboutYouProblems(draft)).toEqual(['About you: give at most 8 groups.']);
    draft.groups = ['Parent carer', ' ', 'parent  CARER'];
    expect(aboutYouProblems(draft)).toEqual([
      'About you: group 2 has no name.',
      'About you: group 3 has the same name as one above; people could not tell them apart.',
    ]);
    draft.groups = ['A', 'x'.repeat(61)];
    expect(aboutYouProblems(draft)).toEqual(['About you: group 2 is longer than 60 characters.']);
    for (const k of ['2', '51', '', '4.5', 'five']) {
      expect(aboutYouProblems({ ...aboutYouDraft(about), k }), k).toEqual([
        'About you: the smallest group shown must be a whole number from 3 to 50.',
      ]);
    }
    expect(aboutYouProblems({ ...aboutYouDraft(about), k: '3' })).toEqual([]);
    expect(aboutYouProblems({ ...aboutYouDraft(about), prompt: '  ' })).toHaveLength(1);
  });

  it('is locked once anyone has answered', () => {
    expect(aboutYouLock(null, null)).toBeNull();
    expect(aboutYouLock({}, { 'Parent carer': { joined: 0, took_part: 0 } })).toBeNull();
    expect(aboutYouLock({}, { 'Parent carer': { joined: 1, took_part: 0 } })).toContain('can no longer be changed');
    expect(aboutYouLock({ about_you_answered: true }, null)).toContain('can no longer be changed');
  });
});

describe('results by group', () => {
  it('reads by_group and small_groups, and nothing from a frame without them', () => {
    expect(byGroupOf(aggregate)).toBeNull();
    expect(byGroupOf({ ...aggregate, by_group: {} } as unknown as Aggregate)).toBeNull();
    expect(Object.keys(byGroupOf(consoleFrame) ?? {})).toEqual(['Parent carer', 'Young person', 'Professional']);
    expect(smallGroupsOf(consoleFrame)).toEqual(['Young person']);
    expect(smallGroupsOf(projectorFrame)).toEqual([]);
  });

  it("gives a group's figures with the total's kind tag; a group nobody answered in as empty", () => {
    const one = groupResults(consoleFrame, 'Parent carer');
    expect(one).toEqual({ state: 'shown', data: { ...parents, kind: 'scale' } });
    expect(groupResults(consoleFrame, 'Other')).toEqual({ state: 'shown', data: null });
    expect(groupResults(projectorFrame, 'Young person')).toEqual({ state: 'suppressed' });
  });

  it('puts the total first, then the groups in the question order, marking the small ones', () => {
    const columns = splitColumns(consoleFrame, about.groups);
    expect(columns.map((c) => [c.label, c.total, c.small, c.results.state])).toEqual([
      ['Everyone', true, false, 'shown'],
      ['Parent carer', false, false, 'shown'],
      ['Young person', false, true, 'shown'],
      ['Professional', false, false, 'shown'],
      ['Other', false, false, 'shown'],
    ]);
    expect(columns[0]?.results).toEqual({ state: 'shown', data: consoleFrame });
  });

  it('takes labels from the question, else from the frame', () => {
    expect(groupLabels(about, projectorFrame)).toEqual(about.groups);
    expect(groupLabels(null, projectorFrame)).toEqual(['Parent carer', 'Young person', 'Professional']);
    expect(groupLabels(null, aggregate)).toEqual([]);
  });

  it("draws on the projector only what the facilitator allowed, and the frame carries", () => {
    expect(projectorDraw(null, about, projectorFrame)).toEqual({ mode: 'everyone' });
    expect(projectorDraw(undefined, about, projectorFrame)).toEqual({ mode: 'everyone' });
    // Allowed, but the server sent no split (no question): everyone.
    expect(projectorDraw('side_by_side', null, aggregate)).toEqual({ mode: 'everyone' });
    expect(projectorDraw(1, about, projectorFrame)).toEqual({ mode: 'group', label: 'Young person', results: { state: 'suppressed' } });
    expect(projectorDraw(9, about, projectorFrame)).toEqual({ mode: 'everyone' });
    const side = projectorDraw('side_by_side', about, projectorFrame);
    expect(side.mode === 'side_by_side' && side.columns.map((c) => `${c.label}:${c.results.state}`)).toEqual([
      'Everyone:shown',
      'Parent carer:shown',
      'Young person:suppressed',
      'Professional:shown',
      'Other:shown',
    ]);
  });

  it('reads the console selector back, anything unknown as everyone', () => {
    expect(viewFrom('side_by_side', 4)).toEqual({ mode: 'side_by_side' });
    expect(viewFrom('group-3', 4)).toEqual({ mode: 'group', index: 3 });
    expect(viewFrom('group-4', 4)).toEqual({ mode: 'everyone' });
    expect(viewFrom('everyone', 4)).toEqual({ mode: 'everyone' });
  });

  it('names a group and a suppressed one in plain words', () => {
    expect(groupName(about.groups, 2)).toBe('Professional');
    expect(groupName(about.groups, null)).toBe('Prefer not to say');
    expect(fewerThan(5)).toBe('Fewer than 5 people in this group');
    expect(fewerThan(undefined)).toBe('Too few people to show');
  });

  it('lays small multiples out in the grid that gives each the most room', () => {
    // Five panels on a wide screen: one row is too thin, three by two is best.
    expect(gridShape(5, 1880, 860)).toEqual({ columns: 3, rows: 2 });
    expect(gridShape(5, 990, 600)).toEqual({ columns: 3, rows: 2 });
    expect(gridShape(3, 1880, 860)).toEqual({ columns: 3, rows: 1 });
    // A tall, narrow window stacks them.
    expect(gridShape(3, 400, 1600).columns).toBe(1);
    expect(gridShape(1, 100, 100)).toEqual({ columns: 1, rows: 1 });
  });
});

describe('attendance and booked numbers', () => {
  it('lists every group in order, then those who did not say, marking small groups', () => {
    const rows = attendanceRows(
      about.groups,
      { 'Parent carer': { joined: 9, took_part: 8 }, 'Young person': { joined: 3, took_part: 3 } },
      { joined: 2, took_part: 1 },
      { total: 54, groups: [30, null, 24, 0] },
      5,
    );
    expect(rows).toEqual([
      { label: 'Parent carer', booked: 30, joined: 9, took_part: 8, small: false },
      { label: 'Young person', booked: null, joined: 3, took_part: 3, small: true },
      { label: 'Professional', booked: 24, joined: null, took_part: null, small: false },
      { label: 'Other', booked: 0, joined: null, took_part: null, small: false },
      { label: 'Prefer not to say or not answered', booked: null, joined: 2, took_part: 1, small: false },
    ]);
  });

  it('checks booked numbers as the server does', () => {
    const labels = ['Parents', 'Staff'];
    expect(bookedProblems('54', ['30', '24'], labels)).toEqual([]);
    expect(bookedProblems('', ['', ''], labels)).toEqual([]);
    expect(bookedProblems('50', ['30', '24'], labels)).toEqual(['The groups add up to 54, more than the 50 booked in total.']);
    expect(bookedProblems('-1', ['3.5', '100001'], labels)).toEqual([
      'Booked in total: type a whole number from 0 to 100,000, or leave it empty.',
      'Booked, Parents: type a whole number from 0 to 100,000, or leave it empty.',
      'Booked, Staff: type a whole number from 0 to 100,000, or leave it empty.',
    ]);
    expect(bookedBody('54', ['30', ''])).toEqual({ total: 54, groups: [30, null] });
    expect(bookedBody('', ['', ''])).toEqual({ total: null, groups: null });
  });
});
