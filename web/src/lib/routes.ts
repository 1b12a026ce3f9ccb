// Which page to show, read from the address. The server answers index.html for each of them.

export type Route =
  | { page: 'landing' }
  | { page: 'participant'; code: string }
  | { page: 'console'; code: string }
  | { page: 'presenter'; code: string }
  | { page: 'report'; code: string }
  | { page: 'missing' };

export function parseRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { page: 'landing' };
  const report = /^\/host\/(\d{8})\/report$/.exec(path);
  if (report) return { page: 'report', code: report[1] ?? '' };
  const match = /^\/(j|host|present)\/([^/]+)$/.exec(path);
  if (!match) return { page: 'missing' };
  const code = decodeURIComponent(match[2] ?? '');
  if (!/^\d{8}$/.test(code)) return { page: 'missing' };
  switch (match[1]) {
    case 'j':
      return { page: 'participant', code };
    case 'host':
      return { page: 'console', code };
    default:
      return { page: 'presenter', code };
  }
}

/** The `key` of a `#key=…` fragment, or null. */
export function keyFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const key = params.get('key')?.trim();
  return key ? key : null;
}

/** Path of a session's pages. */
export const paths = {
  join: (code: string) => `/j/${code}`,
  console: (code: string, key: string) => `/host/${code}#key=${encodeURIComponent(key)}`,
  report: (code: string, key: string) => `/host/${code}/report#key=${encodeURIComponent(key)}`,
  presenter: (code: string, key: string) => `/present/${code}#key=${encodeURIComponent(key)}`,
  qr: (code: string) => `/api/sessions/${code}/qr.svg`,
};

/** "https://polls.example.org/j/48213377" → "polls.example.org/j/48213377", for big print. */
export function shortUrl(url: string): string {
  return url.replace(/^https?:\/\//, '').replace(/\/$/, '');
}
