// Small wrappers around Web Storage, which throws in some private modes and sandboxes.

/** Where a participant's token is kept, per session: it resumes the same participant. */
export const tokenKey = (code: string) => `chorus.token.${code}`;
/** Where a console or projector key is kept for this tab, so that a reload works. */
export const secretKey = (role: 'host' | 'present', code: string) => `chorus.${role}key.${code}`;

function area(kind: 'local' | 'session'): Storage | null {
  try {
    return kind === 'local' ? window.localStorage : window.sessionStorage;
  } catch {
    return null;
  }
}

export function load(kind: 'local' | 'session', key: string): string | null {
  try {
    return area(kind)?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

export function save(kind: 'local' | 'session', key: string, value: string): void {
  try {
    area(kind)?.setItem(key, value);
  } catch {
    // Storage full or refused: the page still works, it just cannot resume after a reload.
  }
}

/** Where this browser keeps the consoles it created or opened ("My sessions"). */
export const SESSIONS_KEY = 'chorus.sessions';

/** A console this browser created or opened: enough to open it again. */
export interface KnownSession {
  code: string;
  /** The console (host) key: the list is the way back to the console. */
  key: string;
  title: string;
  /** When the session was created (ms since the epoch), when the server has said. */
  created_at: number | null;
  /** When this browser last opened its console. */
  opened_at: number;
}

/** Most sessions kept: the oldest opened goes first. */
export const MAX_KNOWN_SESSIONS = 50;

/** Reads the stored list, dropping anything that is not a well-formed entry. */
export function parseSessions(text: string | null): KnownSession[] {
  if (!text) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (entry): entry is KnownSession =>
      typeof entry === 'object' &&
      entry !== null &&
      typeof entry.code === 'string' &&
      /^\d{8}$/.test(entry.code) &&
      typeof entry.key === 'string' &&
      entry.key.length > 0 &&
      typeof entry.title === 'string' &&
      (entry.created_at === null || typeof entry.created_at === 'number') &&
      typeof entry.opened_at === 'number',
  );
}

/** The list with `entry` added (or its older entry replaced), last opened first. */
export function withSession(list: KnownSession[], entry: KnownSession): KnownSession[] {
  const rest = list.filter((other) => other.code !== entry.code);
  const previous = list.find((other) => other.code === entry.code);
  const merged = { ...entry, created_at: entry.created_at ?? previous?.created_at ?? null };
  return [merged, ...rest].sort((a, b) => b.opened_at - a.opened_at).slice(0, MAX_KNOWN_SESSIONS);
}

export function knownSessions(): KnownSession[] {
  return parseSessions(load('local', SESSIONS_KEY));
}

/** Keeps (or refreshes) a console in this browser's "My sessions". */
export function rememberSession(entry: Omit<KnownSession, 'opened_at'>, now = Date.now()): void {
  save('local', SESSIONS_KEY, JSON.stringify(withSession(knownSessions(), { ...entry, opened_at: now })));
}

/** Takes a session off this browser's list (the session itself stays on the server). */
export function forgetSession(code: string): KnownSession[] {
  const list = knownSessions().filter((entry) => entry.code !== code);
  save('local', SESSIONS_KEY, JSON.stringify(list));
  return list;
}

/** The key this browser keeps for a session's console, if any. */
export function rememberedKey(code: string): string | null {
  return knownSessions().find((entry) => entry.code === code)?.key ?? null;
}
