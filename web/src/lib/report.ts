// The findings report's content as the organiser writes and picks it (issue 15): its shape,
// its limits (the server's, checked here for early, plain feedback; the server enforces them
// anyway) and the edits the console's Report page makes. Plain functions over plain objects,
// so that they can be tested without a browser.

import type {
  Candidate,
  Quote as ReportQuote,
  ReportContent,
  ReportSection,
  ServerMessage,
  SessionInfo,
  StepView,
  SummaryInfo,
} from './protocol';

// The wire's shapes (generated from src/protocol.rs): a section is written when it has a
// `title`, made from the answers when it has not; a quote's `item` is a note's id or a
// word-cloud group's id, as results name them.
export type { Candidate, ReportContent, ReportQuote, ReportSection, SummaryInfo };
export type { ReportTheme, ReportView } from './protocol';

/** The server's limits (src/report/), checked here too. */
export const REPORT_LIMITS = {
  sections: 30,
  titleChars: 120,
  textChars: 20_000,
  themes: 20,
  quotes: 50,
  idChars: 40,
} as const;

/** What people call the sections made from the answers. Another id is shown as it is. */
const GENERATED_NAMES: Record<string, string> = {
  attendance: 'Who took part',
  activities: 'What we found: each activity’s results',
  themes: 'Themes, with their quotes',
  groups: 'Groups',
};

/** Characters as the server counts them (Unicode scalar values, not UTF-16 units). */
export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** A written section has a title and text; the others are made from the answers. */
export function isWritten(section: ReportSection): boolean {
  return typeof section.title === 'string';
}

/** The section's name for people. */
export function sectionName(section: ReportSection): string {
  if (isWritten(section)) return section.title?.trim() || 'Untitled section';
  return GENERATED_NAMES[section.id] ?? `Made from the answers (${section.id})`;
}

/** The sections in a new order: the one at `index` moved by `delta` places (clamped). */
export function moveSection(sections: ReportSection[], index: number, delta: number): ReportSection[] {
  const target = Math.max(0, Math.min(sections.length - 1, index + delta));
  if (index < 0 || index >= sections.length || target === index) return sections;
  const next = sections.slice();
  const [moved] = next.splice(index, 1);
  next.splice(target, 0, moved as ReportSection);
  return next;
}

/** An id `prefix<n>` that no item of `taken` has, n counting from 1. */
export function freeId(prefix: string, taken: { id: string }[]): string {
  const used = new Set(taken.map((t) => t.id));
  for (let n = 1; ; n++) {
    const id = `${prefix}${n}`;
    if (!used.has(id)) return id;
  }
}

/** The written sections an organiser's write-up usually has, offered until the report has them. */
export const SUGGESTED_SECTIONS: readonly { id: string; title: string }[] = [
  { id: 'introduction', title: 'Why we did it' },
  { id: 'next_steps', title: 'You said – we are doing' },
];

/** The suggested sections the report does not have yet. */
export function missingSuggestions(content: ReportContent): { id: string; title: string }[] {
  return SUGGESTED_SECTIONS.filter((s) => !content.sections.some((section) => section.id === s.id));
}

/**
 * Adds an empty written section and answers its id, or null when there are as many as may
 * be. A suggested one ("Why we did it") keeps its own id and goes first; the others go last.
 */
export function addSection(content: ReportContent, title = 'New section', wanted?: string): string | null {
  if (content.sections.length >= REPORT_LIMITS.sections) return null;
  if (wanted && !content.sections.some((s) => s.id === wanted)) {
    const section = { id: wanted, title, text: '', hidden: false };
    if (wanted === 'introduction') content.sections.unshift(section);
    else content.sections.push(section);
    return wanted;
  }
  const id = freeId('w', content.sections);
  content.sections.push({ id, title, text: '', hidden: false });
  return id;
}

/** Removes a written section (a section made from the answers can only be hidden). */
export function removeSection(content: ReportContent, id: string): void {
  content.sections = content.sections.filter((s) => s.id !== id || !isWritten(s));
}

/** A theme, or null when the report already has as many as it may. */
export function addTheme(content: ReportContent, title = 'New theme'): string | null {
  if (content.themes.length >= REPORT_LIMITS.themes) return null;
  const id = freeId('t', content.themes);
  content.themes.push({ id, title, text: '' });
  return id;
}

/** Removes a theme; its quotes stay starred, under no theme. */
export function removeTheme(content: ReportContent, id: string): void {
  content.themes = content.themes.filter((t) => t.id !== id);
  for (const quote of content.quotes) if (quote.theme === id) quote.theme = null;
}

type QuoteRef = Pick<ReportQuote, 'session' | 'activity' | 'item'>;

/** One key per entry or note, the same for a candidate and its quote. */
export function quoteKey(ref: QuoteRef): string {
  return JSON.stringify([ref.session, ref.activity, ref.item]);
}

export function findQuote(content: ReportContent, ref: QuoteRef): ReportQuote | undefined {
  const key = quoteKey(ref);
  return content.quotes.find((q) => quoteKey(q) === key);
}

/**
 * Stars or unstars a candidate. Answers false (and changes nothing) when starring it would
 * pass the limit of quotes.
 */
export function toggleStar(content: ReportContent, ref: QuoteRef, theme: string | null = null): boolean {
  const key = quoteKey(ref);
  const at = content.quotes.findIndex((q) => quoteKey(q) === key);
  if (at >= 0) {
    content.quotes.splice(at, 1);
    return true;
  }
  if (content.quotes.length >= REPORT_LIMITS.quotes) return false;
  content.quotes.push({ session: ref.session, activity: ref.activity, item: ref.item, theme });
  return true;
}

/** Files a starred candidate under a theme (null: none); starring it first when it is not. */
export function fileQuote(content: ReportContent, ref: QuoteRef, theme: string | null): boolean {
  const quote = findQuote(content, ref);
  if (quote) {
    quote.theme = theme;
    return true;
  }
  return toggleStar(content, ref, theme);
}

/** The candidates of one activity (of one session), in agenda order. */
export interface CandidateGroup {
  key: string;
  session: string;
  activity: string;
  title: string;
  items: Candidate[];
}

/** Candidates grouped by activity, keeping the server's (agenda) order. */
export function groupCandidates(candidates: Candidate[]): CandidateGroup[] {
  const groups: CandidateGroup[] = [];
  const byKey = new Map<string, CandidateGroup>();
  for (const candidate of candidates) {
    const key = JSON.stringify([candidate.session, candidate.activity]);
    let group = byKey.get(key);
    if (!group) {
      group = { key, session: candidate.session, activity: candidate.activity, title: candidate.activity_title, items: [] };
      byKey.set(key, group);
      groups.push(group);
    }
    group.items.push(candidate);
  }
  return groups;
}

/** A problem with the content, where it is (a field's id on the page, or null) and what to do. */
export interface ReportProblem {
  field: string | null;
  message: string;
}

/**
 * The page's element ids, shared by the page and `reportProblems`; `prefix` keeps the
 * session's and the series' reports (both on the page, one hidden) apart.
 */
export function fieldIds(prefix = '') {
  return {
    sectionTitle: (id: string) => `${prefix}section-title-${id}`,
    sectionText: (id: string) => `${prefix}section-text-${id}`,
    sectionUp: (id: string) => `${prefix}section-up-${id}`,
    sectionDown: (id: string) => `${prefix}section-down-${id}`,
    addSection: `${prefix}add-section`,
    themeTitle: (id: string) => `${prefix}theme-title-${id}`,
    themeText: (id: string) => `${prefix}theme-text-${id}`,
    addTheme: `${prefix}add-theme`,
    filter: `${prefix}quote-filter`,
    /** The n-th candidate's theme picker, and the n-th group's heading. */
    candidateTheme: (n: number) => `${prefix}candidate-theme-${n}`,
    group: (n: number) => `${prefix}candidate-group-${n}`,
  };
}

function checkTitle(what: string, title: string, field: string, out: ReportProblem[]): void {
  const n = charCount(title.trim());
  if (n === 0) out.push({ field, message: `${what} needs a title.` });
  else if (charCount(title) > REPORT_LIMITS.titleChars) {
    out.push({ field, message: `${what}’s title is ${charCount(title)} characters; the most is ${REPORT_LIMITS.titleChars}.` });
  }
}

function checkText(what: string, text: string, field: string, out: ReportProblem[]): void {
  const n = charCount(text);
  if (n > REPORT_LIMITS.textChars) {
    out.push({
      field,
      message: `${what}’s text is ${n.toLocaleString('en-GB')} characters; the most is ${REPORT_LIMITS.textChars.toLocaleString('en-GB')}.`,
    });
  }
}

/** Everything the server would refuse in this content, in page order; empty when it may be saved. */
export function reportProblems(content: ReportContent, prefix = ''): ReportProblem[] {
  const ids = fieldIds(prefix);
  const out: ReportProblem[] = [];
  if (content.sections.length > REPORT_LIMITS.sections) {
    out.push({ field: null, message: `There are ${content.sections.length} sections; the most is ${REPORT_LIMITS.sections}.` });
  }
  content.sections.forEach((section, i) => {
    if (!isWritten(section)) return;
    const what = `Section ${i + 1}`;
    checkTitle(what, section.title ?? '', ids.sectionTitle(section.id), out);
    checkText(what, section.text ?? '', ids.sectionText(section.id), out);
  });
  if (content.themes.length > REPORT_LIMITS.themes) {
    out.push({ field: null, message: `There are ${content.themes.length} themes; the most is ${REPORT_LIMITS.themes}.` });
  }
  content.themes.forEach((theme, i) => {
    const what = `Theme ${i + 1}`;
    checkTitle(what, theme.title, ids.themeTitle(theme.id), out);
    checkText(what, theme.text, ids.themeText(theme.id), out);
  });
  if (content.quotes.length > REPORT_LIMITS.quotes) {
    out.push({
      field: null,
      message: `${content.quotes.length} quotes are starred; the most is ${REPORT_LIMITS.quotes}. Unstar some.`,
    });
  }
  return out;
}

/** The content with written titles trimmed, as it is sent (a copy; the page keeps its own). */
export function contentToSend(content: ReportContent): ReportContent {
  return {
    sections: content.sections.map((s) =>
      isWritten(s) ? { id: s.id, title: (s.title ?? '').trim(), text: s.text ?? '', hidden: s.hidden } : { id: s.id, hidden: s.hidden },
    ),
    themes: content.themes.map((t) => ({ id: t.id, title: t.title.trim(), text: t.text })),
    quotes: content.quotes.map((q) => ({ session: q.session, activity: q.activity, item: q.item, theme: q.theme })),
  };
}

/** Whether two contents would save the same (to mark unsaved changes). */
export function sameContent(a: ReportContent, b: ReportContent): boolean {
  return JSON.stringify(contentToSend(a)) === JSON.stringify(contentToSend(b));
}

/** The sections "what we heard" offers ticked at first: all those it may show, in report order. */
export function defaultSummarySections(content: ReportContent): string[] {
  return content.sections.filter((s) => !s.hidden).map((s) => s.id);
}

/** The chosen ids that may be published, in report order (the order the server wants them in). */
export function inReportOrder(content: ReportContent, chosen: Iterable<string>): string[] {
  const set = new Set(chosen);
  return content.sections.filter((s) => set.has(s.id) && !s.hidden).map((s) => s.id);
}

/** Consecutive candidates of the same board (a jam board's columns), for sub-headings. */
export function boardRuns(items: Candidate[]): { board: string | null; items: Candidate[] }[] {
  const runs: { board: string | null; items: Candidate[] }[] = [];
  for (const item of items) {
    const last = runs[runs.length - 1];
    if (last && last.board === item.board) last.items.push(item);
    else runs.push({ board: item.board, items: [item] });
  }
  return runs;
}

/** Whether a candidate matches what was typed in "Find" (its text, board or activity; any case). */
export function matchesFilter(candidate: Candidate, filter: string): boolean {
  const needle = filter.trim().toLocaleLowerCase();
  if (!needle) return true;
  return [candidate.text, candidate.board ?? '', candidate.activity_title].some((s) =>
    s.toLocaleLowerCase().includes(needle),
  );
}

/** The published summary a session's info carries, if any. */
export function summaryOf(session: SessionInfo): SummaryInfo | null {
  const summary = session.summary;
  return summary && isSummaryUrl(summary.url) ? { url: summary.url, sections: summary.sections } : null;
}

/** The summary's address while the projector shows its QR code (a step's `summary_qr`), or null. */
export function summaryQr(step: StepView | null): string | null {
  const url = step?.summary_qr;
  return isSummaryUrl(url) ? url : null;
}

/** Only the server's own summary pages are linked to (`/r/…`), never another address. */
function isSummaryUrl(url: unknown): url is string {
  return typeof url === 'string' && /^\/r\/[A-Za-z0-9_-]+$/.test(url);
}

/**
 * The "what we heard" address a server frame tells, null when it says there is none, and
 * undefined when the frame does not say: a phone's `welcome` (`what_we_heard`), the
 * `what_we_heard` frame, and the console's welcome (its session's `summary`).
 */
export function whatWeHeardFrom(message: ServerMessage): string | null | undefined {
  const url = (v: unknown) => (isSummaryUrl(v) ? v : null);
  switch (message.type) {
    case 'welcome':
      return message.what_we_heard === undefined ? undefined : url(message.what_we_heard);
    case 'what_we_heard':
      return url(message.url);
    case 'welcome_host':
      return message.session.summary === undefined ? undefined : url(message.session.summary?.url);
    default:
      return undefined;
  }
}

/** The sections "what we heard" may show: those shown in the report (the server refuses a hidden one). */
export function publishableSections(content: ReportContent): ReportSection[] {
  return content.sections.filter((s) => !s.hidden);
}
