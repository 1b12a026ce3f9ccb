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
