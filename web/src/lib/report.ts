// The findings report's content as the organiser writes and picks it (issue 15): its shape,
// its limits (the server's, checked here for early, plain feedback; the server enforces them
// anyway) and the edits the console's Report page makes. Plain functions over plain objects,
// so that they can be tested without a browser.

/** A section of the report: written (it has a `title`) or made from the answers (it has not). */
export interface ReportSection {
  id: string;
  title?: string | null;
  text?: string | null;
  hidden: boolean;
}

/** A theme the organiser files quotes under; it spans boards and activities. */
export interface ReportTheme {
  id: string;
  title: string;
  text: string;
}

/** A starred word-cloud entry or jam-board note, filed under a theme (or none). */
export interface ReportQuote {
  session: string;
  activity: string;
  item: number;
  theme: string | null;
}

export interface ReportContent {
  sections: ReportSection[];
  themes: ReportTheme[];
  quotes: ReportQuote[];
}

/** Something that can be starred: a word-cloud entry or a jam-board note. */
export interface Candidate {
  session: string;
  activity: string;
  activity_title: string;
  item: number;
  kind: 'word' | 'note';
  text: string;
  /** The note's column or board; null for a word. */
  board: string | null;
  /** How many people sent the word (1 for a note). */
  count: number;
}

/** `GET /api/sessions/{code}/report` (and `…/series/report`). */
export interface ReportView {
  content: ReportContent;
  candidates: Candidate[];
  state: 'live' | 'closed';
}

/** The server's limits (src/report/), checked here too. */
export const REPORT_LIMITS = {
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

/** Adds an empty written section at the end and answers its id. */
export function addSection(content: ReportContent, title = 'New section'): string {
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

/** The page's field ids, shared by the page and `reportProblems`. */
export const fieldIds = {
  sectionTitle: (id: string) => `section-title-${id}`,
  sectionText: (id: string) => `section-text-${id}`,
  themeTitle: (id: string) => `theme-title-${id}`,
  themeText: (id: string) => `theme-text-${id}`,
};

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
export function reportProblems(content: ReportContent): ReportProblem[] {
  const out: ReportProblem[] = [];
  content.sections.forEach((section, i) => {
    if (!isWritten(section)) return;
    const what = `Section ${i + 1}`;
    checkTitle(what, section.title ?? '', fieldIds.sectionTitle(section.id), out);
    checkText(what, section.text ?? '', fieldIds.sectionText(section.id), out);
  });
  if (content.themes.length > REPORT_LIMITS.themes) {
    out.push({ field: null, message: `There are ${content.themes.length} themes; the most is ${REPORT_LIMITS.themes}.` });
  }
  content.themes.forEach((theme, i) => {
    const what = `Theme ${i + 1}`;
    checkTitle(what, theme.title, fieldIds.themeTitle(theme.id), out);
    checkText(what, theme.text, fieldIds.themeText(theme.id), out);
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

/** The sections "what we heard" offers by default: those shown in the report, in its order. */
export function defaultSummarySections(content: ReportContent): string[] {
  return content.sections.filter((s) => !s.hidden).map((s) => s.id);
}

/** The chosen ids in report order (the order the server wants them in). */
export function inReportOrder(content: ReportContent, chosen: Iterable<string>): string[] {
  const set = new Set(chosen);
  return content.sections.filter((s) => set.has(s.id)).map((s) => s.id);
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

/** A published summary: its address (`/r/<id>`) and the sections it shows. */
export interface SummaryInfo {
  url: string;
  sections: string[];
}

/** The published summary a session's info carries (`summary`), if any. */
export function summaryOf(session: object): SummaryInfo | null {
  const summary = (session as { summary?: unknown }).summary;
  if (typeof summary !== 'object' || summary === null) return null;
  const { url, sections } = summary as Partial<SummaryInfo>;
  if (typeof url !== 'string') return null;
  return { url, sections: Array.isArray(sections) ? sections.filter((s) => typeof s === 'string') : [] };
}

/** Whether the projector shows the summary's QR code (a step's `show_summary_qr`). */
export function summaryQrShown(step: object): boolean {
  return (step as { show_summary_qr?: unknown }).show_summary_qr === true;
}

/**
 * The "what we heard" address a server frame tells, null when it says there is none, and
 * undefined when the frame does not say: a phone's `welcome` (`what_we_heard`), the
 * `what_we_heard` frame (`url`), and the projector's or console's welcome (its session's
 * `what_we_heard` or `summary`).
 */
export function whatWeHeardFrom(message: { type: string }): string | null | undefined {
  const m = message as Record<string, unknown>;
  const url = (v: unknown) => (typeof v === 'string' && v.startsWith('/r/') ? v : null);
  switch (message.type) {
    case 'welcome':
      return 'what_we_heard' in m ? url(m.what_we_heard) : undefined;
    case 'what_we_heard':
      return url(m.url);
    case 'welcome_present':
    case 'welcome_host': {
      const session = m.session as Record<string, unknown> | undefined;
      if (!session) return undefined;
      if ('what_we_heard' in session) return url(session.what_we_heard);
      if ('summary' in session) return summaryOf(session)?.url ?? null;
      return undefined;
    }
    default:
      return undefined;
  }
}
