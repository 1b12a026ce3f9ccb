import { describe, expect, it } from 'vitest';

import {
  REPORT_LIMITS,
  addSection,
  addTheme,
  boardRuns,
  charCount,
  contentToSend,
  defaultSummarySections,
  fieldIds,
  fileQuote,
  findQuote,
  groupCandidates,
  inReportOrder,
  isWritten,
  matchesFilter,
  missingSuggestions,
  moveSection,
  publishableSections,
  removeSection,
  removeTheme,
  reportProblems,
  sameContent,
  sectionName,
  summaryOf,
  summaryQr,
  toggleStar,
  whatWeHeardFrom,
  type Candidate,
  type ReportContent,
} from './report';
import type { ServerMessage, SessionInfo, StepView } from './protocol';

function content(): ReportContent {
  return {
    sections: [
      { id: 'introduction', title: 'Why we did it', text: 'Because.', hidden: false },
      { id: 'attendance', hidden: false },
      { id: 'activities', hidden: false },
      { id: 'themes', hidden: false },
      { id: 'next_steps', title: 'You said – we are doing', text: '- We will', hidden: true },
    ],
    themes: [],
    quotes: [],
  };
}

const ids = (c: ReportContent) => c.sections.map((s) => s.id);

function candidate(activity: string, n: number, session = '48213377'): Candidate {
  const item = String(n);
  return { session, activity, activity_title: `Activity ${activity}`, item, kind: 'note', text: `note ${item}`, board: 'Barriers', count: 1 };
}

describe('the report’s sections', () => {
  it('tells written sections from those made from the answers, and names both', () => {
    const c = content();
    expect(c.sections.map(isWritten)).toEqual([true, false, false, false, true]);
    expect(sectionName(c.sections[1]!)).toBe('Who took part');
    expect(sectionName(c.sections[0]!)).toBe('Why we did it');
    expect(sectionName({ id: 'w1', title: '  ', text: '', hidden: false })).toBe('Untitled section');
    expect(sectionName({ id: 'surprise', hidden: false })).toBe('Made from the answers (surprise)');
  });

  it('moves a section up and down one place, and not past either end', () => {
    const c = content();
    expect(ids({ ...c, sections: moveSection(c.sections, 2, -1) })).toEqual([
      'introduction',
      'activities',
      'attendance',
      'themes',
      'next_steps',
    ]);
    expect(ids({ ...c, sections: moveSection(c.sections, 0, 1) })).toEqual([
      'attendance',
      'introduction',
      'activities',
      'themes',
      'next_steps',
    ]);
    expect(moveSection(c.sections, 0, -1)).toBe(c.sections);
    expect(moveSection(c.sections, 4, 1)).toBe(c.sections);
    // The same sections, none lost or doubled, whatever the moves.
    let sections = c.sections;
    for (const [i, d] of [[3, -2], [0, 4], [2, 1], [4, -4]] as const) sections = moveSection(sections, i, d);
    expect([...ids({ ...c, sections })].sort()).toEqual([...ids(c)].sort());
  });

  it('adds written sections with free ids and removes only written ones', () => {
    const c = content();
    expect(addSection(c)).toBe('w1');
    expect(addSection(c)).toBe('w2');
    removeSection(c, 'w1');
    expect(addSection(c)).toBe('w1');
    removeSection(c, 'attendance');
    expect(ids(c)).toContain('attendance');
    removeSection(c, 'introduction');
    expect(ids(c)).not.toContain('introduction');
  });

  it('offers the usual written sections until the report has them, the introduction first', () => {
    const c: ReportContent = { sections: [{ id: 'attendance', hidden: false }, { id: 'themes', hidden: false }], themes: [], quotes: [] };
    expect(missingSuggestions(c).map((s) => s.id)).toEqual(['introduction', 'next_steps']);
    expect(addSection(c, 'You said – we are doing', 'next_steps')).toBe('next_steps');
    expect(addSection(c, 'Why we did it', 'introduction')).toBe('introduction');
    expect(ids(c)).toEqual(['introduction', 'attendance', 'themes', 'next_steps']);
    expect(missingSuggestions(c)).toEqual([]);
    // Asked again, it is an ordinary new section.
    expect(addSection(c, 'Why we did it', 'introduction')).toBe('w1');
  });

  it('adds no section past the limit of sections', () => {
    const c = content();
    while (c.sections.length < REPORT_LIMITS.sections) expect(addSection(c)).not.toBeNull();
    expect(addSection(c)).toBeNull();
    expect(c.sections).toHaveLength(REPORT_LIMITS.sections);
    expect(reportProblems(c)).toEqual([]);
    c.sections.push({ id: 'extra', title: 'Extra', text: '', hidden: false });
    expect(reportProblems(c).map((p) => p.message)).toContain('There are 31 sections; the most is 30.');
  });
});

describe('quotes and themes', () => {
  it('stars and unstars a candidate, and files it under a theme', () => {
    const c = content();
    const ref = candidate('a1', 3);
    expect(toggleStar(c, ref)).toBe(true);
    expect(findQuote(c, ref)).toEqual({ session: '48213377', activity: 'a1', item: '3', theme: null });
    const theme = addTheme(c, 'Communication');
    expect(theme).toBe('t1');
    fileQuote(c, ref, theme);
    expect(findQuote(c, ref)?.theme).toBe('t1');
    // The same item number in another activity or session is another quote.
    expect(findQuote(c, candidate('a2', 3))).toBeUndefined();
    expect(findQuote(c, candidate('a1', 3, '99999999'))).toBeUndefined();
    toggleStar(c, ref);
    expect(c.quotes).toEqual([]);
  });

  it('filing an unstarred candidate stars it', () => {
    const c = content();
    const theme = addTheme(c);
    expect(fileQuote(c, candidate('a1', 1), theme)).toBe(true);
    expect(c.quotes).toEqual([{ session: '48213377', activity: 'a1', item: '1', theme: 't1' }]);
  });

  it('refuses a quote past the limit and a theme past the limit', () => {
    const c = content();
    for (let i = 0; i < REPORT_LIMITS.quotes; i++) expect(toggleStar(c, candidate('a1', i))).toBe(true);
    expect(toggleStar(c, candidate('a1', 999))).toBe(false);
    expect(c.quotes).toHaveLength(REPORT_LIMITS.quotes);
    // Unstarring still works at the limit.
    expect(toggleStar(c, candidate('a1', 0))).toBe(true);
    for (let i = 0; i < REPORT_LIMITS.themes; i++) expect(addTheme(c)).not.toBeNull();
    expect(addTheme(c)).toBeNull();
    expect(c.themes).toHaveLength(REPORT_LIMITS.themes);
  });

  it('deleting a theme keeps its quotes, under no theme', () => {
    const c = content();
    const a = addTheme(c, 'A');
    const b = addTheme(c, 'B');
    fileQuote(c, candidate('a1', 1), a);
    fileQuote(c, candidate('a1', 2), b);
    removeTheme(c, a!);
    expect(c.themes.map((t) => t.id)).toEqual(['t2']);
    expect(c.quotes.map((q) => q.theme)).toEqual([null, 't2']);
  });

  it('groups candidates by activity and session, in the order they came', () => {
    const groups = groupCandidates([
      candidate('a1', 1),
      candidate('a2', 1),
      candidate('a1', 2),
      candidate('a1', 1, '11111111'),
    ]);
    expect(groups.map((g) => [g.session, g.activity, g.items.map((i) => i.item)])).toEqual([
      ['48213377', 'a1', ['1', '2']],
      ['48213377', 'a2', ['1']],
      ['11111111', 'a1', ['1']],
    ]);
  });
});

describe('the list of candidates', () => {
  it('splits a board’s notes into runs by column, in order', () => {
    const a = { ...candidate('a1', 1), board: 'Barriers' };
    const b = { ...candidate('a1', 2), board: 'Barriers' };
    const c = { ...candidate('a1', 3), board: 'Successes' };
    const w = { ...candidate('a2', 1), board: null, kind: 'word' as const };
    expect(boardRuns([a, b, c]).map((r) => [r.board, r.items.length])).toEqual([
      ['Barriers', 2],
      ['Successes', 1],
    ]);
    expect(boardRuns([w]).map((r) => r.board)).toEqual([null]);
    expect(boardRuns([])).toEqual([]);
  });

  it('finds candidates by their text, board or activity, in any case', () => {
    const c = { ...candidate('a1', 1), text: 'Too much JARGON', board: 'Barriers', activity_title: 'Jam board' };
    expect(matchesFilter(c, '')).toBe(true);
    expect(matchesFilter(c, ' jargon ')).toBe(true);
    expect(matchesFilter(c, 'barr')).toBe(true);
    expect(matchesFilter(c, 'jam')).toBe(true);
    expect(matchesFilter(c, 'success')).toBe(false);
  });
});

describe('limits', () => {
  it('counts characters as the server does (an emoji is one)', () => {
    expect(charCount('😀é')).toBe(2);
    expect('😀'.length).toBe(2);
  });

  it('finds nothing wrong in a good report', () => {
    expect(reportProblems(content())).toEqual([]);
  });

  it('names each field over its limit, and the empty title', () => {
    const c = content();
    c.sections[0]!.title = 'x'.repeat(REPORT_LIMITS.titleChars + 1);
    c.sections[4]!.text = 'y'.repeat(REPORT_LIMITS.textChars + 1);
    addTheme(c, ' ');
    const problems = reportProblems(c);
    expect(problems.map((p) => p.field)).toEqual([
      fieldIds().sectionTitle('introduction'),
      fieldIds().sectionText('next_steps'),
      fieldIds().themeTitle('t1'),
    ]);
    // The series' report (the other tab) names its own fields.
    expect(reportProblems(c, 'series-')[0]!.field).toBe('series-section-title-introduction');
    expect(problems[0]!.message).toContain('the most is 120');
    expect(problems[1]!.message).toContain('20,001 characters');
    expect(problems[2]!.message).toBe('Theme 1 needs a title.');
  });

  it('text exactly at the limit is fine, one more is not (in characters, not UTF-16 units)', () => {
    const c = content();
    c.sections[0]!.text = '😀'.repeat(REPORT_LIMITS.textChars);
    expect(reportProblems(c)).toEqual([]);
    c.sections[0]!.text += 'a';
    expect(reportProblems(c)).toHaveLength(1);
  });

  it('names too many quotes or themes (as a content loaded from elsewhere may have)', () => {
    const c = content();
    for (let i = 0; i <= REPORT_LIMITS.quotes; i++) c.quotes.push({ ...candidate('a1', i), theme: null });
    for (let i = 0; i <= REPORT_LIMITS.themes; i++) c.themes.push({ id: `t${i}`, title: 'T', text: '' });
    const messages = reportProblems(c).map((p) => p.message);
    expect(messages).toContain('There are 21 themes; the most is 20.');
    expect(messages).toContain('51 quotes are starred; the most is 50. Unstar some.');
  });
});

describe('what is sent', () => {
  it('sends generated sections without title or text, and trims titles', () => {
    const c = content();
    c.sections[0]!.title = '  Why  ';
    const sent = contentToSend(c);
    expect(sent.sections[0]).toEqual({ id: 'introduction', title: 'Why', text: 'Because.', hidden: false });
    expect(sent.sections[1]).toEqual({ id: 'attendance', hidden: false });
  });

  it('marks a change as unsaved, and a change undone as saved', () => {
    const saved = content();
    const edited = structuredClone(saved);
    expect(sameContent(saved, edited)).toBe(true);
    edited.sections = moveSection(edited.sections, 1, 1);
    expect(sameContent(saved, edited)).toBe(false);
    edited.sections = moveSection(edited.sections, 2, -1);
    expect(sameContent(saved, edited)).toBe(true);
    edited.sections[0]!.title = 'Why we did it ';
    expect(sameContent(saved, edited)).toBe(true);
  });

  it('offers the shown sections for "what we heard", and sends the chosen in report order, never a hidden one', () => {
    const c = content();
    expect(defaultSummarySections(c)).toEqual(['introduction', 'attendance', 'activities', 'themes']);
    expect(publishableSections(c).map((s) => s.id)).toEqual(['introduction', 'attendance', 'activities', 'themes']);
    expect(inReportOrder(c, ['themes', 'next_steps', 'introduction', 'nope'])).toEqual(['introduction', 'themes']);
    c.sections[4]!.hidden = false;
    expect(inReportOrder(c, ['themes', 'next_steps', 'introduction'])).toEqual(['introduction', 'themes', 'next_steps']);
  });
});

describe('"what we heard" in server frames', () => {
  const frame = (m: object) => m as ServerMessage;

  it('reads the address from a phone’s welcome and from the what_we_heard frame', () => {
    const address = '/r/48213377' + 'a'.repeat(32);
    expect(whatWeHeardFrom(frame({ type: 'welcome', what_we_heard: address }))).toBe(address);
    expect(whatWeHeardFrom(frame({ type: 'welcome', what_we_heard: null }))).toBeNull();
    // An older server's welcome says nothing: what the page knows stays.
    expect(whatWeHeardFrom(frame({ type: 'welcome' }))).toBeUndefined();
    expect(whatWeHeardFrom(frame({ type: 'what_we_heard', url: '/r/x_y-Z' }))).toBe('/r/x_y-Z');
    expect(whatWeHeardFrom(frame({ type: 'what_we_heard', url: null }))).toBeNull();
    expect(whatWeHeardFrom(frame({ type: 'session_closed' }))).toBeUndefined();
  });

  it('never takes an address that is not a summary’s (no link elsewhere)', () => {
    for (const url of ['https://evil.example/r/1', 'javascript:alert(1)', '/r/../host/1', '//evil.example/r/1']) {
      expect(whatWeHeardFrom(frame({ type: 'what_we_heard', url }))).toBeNull();
    }
  });

  it('reads it from the console’s session info', () => {
    expect(whatWeHeardFrom(frame({ type: 'welcome_host', session: { summary: { url: '/r/h', sections: ['themes'] } } }))).toBe('/r/h');
    expect(whatWeHeardFrom(frame({ type: 'welcome_host', session: { summary: null } }))).toBeNull();
    expect(whatWeHeardFrom(frame({ type: 'welcome_host', session: {} }))).toBeUndefined();
  });

  it('reads the published summary and the projector’s QR', () => {
    const info = (summary: unknown) => ({ summary }) as unknown as SessionInfo;
    expect(summaryOf(info({ url: '/r/a', sections: ['themes'] }))).toEqual({ url: '/r/a', sections: ['themes'] });
    expect(summaryOf(info(null))).toBeNull();
    expect(summaryOf(info(undefined))).toBeNull();
    const step = (summary_qr: unknown) => ({ summary_qr }) as unknown as StepView;
    expect(summaryQr(step('/r/a'))).toBe('/r/a');
    expect(summaryQr(step(null))).toBeNull();
    expect(summaryQr(step(undefined))).toBeNull();
    expect(summaryQr(step('https://elsewhere.example/'))).toBeNull();
    expect(summaryQr(null)).toBeNull();
  });
});
