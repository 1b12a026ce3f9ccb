// The HTTP side of the server: creating a session and replacing its agenda.

import type { AboutYou } from './groups';
import type { Activity, CreateSession, Created, ErrorCode, HttpError, ReplaceAgenda, SessionInfo } from './protocol';
import type { ReportContent, ReportView } from './report';

/** A refusal from the server, or a failure to reach it, with a message for people. */
export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /** The server's stable code, when it sent one. */
    readonly code: ErrorCode | null,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const UNREACHABLE = 'Could not reach the Chorus server. Check your connection and try again.';

/** A plain message for a status the server did not explain. */
export function statusMessage(status: number): string {
  if (status === 401 || status === 403) return 'That key is not right for this session.';
  if (status === 404) return 'There is no session with that code.';
  if (status === 413) return 'That is too much to send at once.';
  if (status === 429) return 'That was too many tries in a short time. Please wait a little and try again.';
  if (status >= 500) return 'The server could not do that just now. Please try again in a moment.';
  return `The server refused the request (status ${status}).`;
}

function isHttpError(body: unknown): body is HttpError {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as HttpError).error === 'string' &&
    typeof (body as HttpError).message === 'string'
  );
}

/** Reads an error response into an ApiError. */
export async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: fall back to the status.
  }
  if (isHttpError(body)) return new ApiError(response.status, body.error, body.message);
  return new ApiError(response.status, null, statusMessage(response.status));
}

async function send<T>(method: string, url: string, body: unknown, bearer: string | null): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (bearer) headers['Authorization'] = `Bearer ${bearer}`;
  let response: Response;
  try {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    response = await fetch(url, { method, headers, body: payload, credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, null, UNREACHABLE);
  }
  if (!response.ok) throw await errorFrom(response);
  const text = await response.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** `POST /api/sessions`. `adminToken` is needed when the server has one configured. */
export function createSession(body: CreateSession, adminToken: string | null): Promise<Created> {
  return send<Created>('POST', '/api/sessions', body, adminToken);
}

/** `PUT /api/sessions/{code}/agenda` with the host key. Answers whatever the server returns. */
export function replaceAgenda(
  code: string,
  hostKey: string,
  agenda: Activity[],
  /** The "About you" question: left out (undefined) to keep it, null to remove it. */
  aboutYou?: AboutYou | null,
): Promise<unknown> {
  const body: ReplaceAgenda & { about_you?: AboutYou | null } = { agenda };
  if (aboutYou !== undefined) body.about_you = aboutYou;
  return send<unknown>('PUT', `/api/sessions/${code}/agenda`, body, hostKey);
}

export type ExportFormat = 'json' | 'csv' | 'xlsx' | 'html' | 'docx' | 'pdf';

/** A file to save, with the name the server gave it. */
export interface Download {
  blob: Blob;
  filename: string;
}

/** The file name of a `Content-Disposition: attachment; filename="…"` header, if it has a safe one. */
export function dispositionName(header: string | null): string | null {
  const match = header ? /filename="?([^";]+)"?/i.exec(header) : null;
  const name = match?.[1]?.trim();
  return name && /^[\w.-]+$/.test(name) ? name : null;
}

/**
 * `GET /api/sessions/{code}/export/{format}` (or `/series/export/{format}` for the whole
 * series) with the host key, as a file to save.
 */
export async function fetchExport(
  code: string,
  hostKey: string,
  format: ExportFormat,
  scope: 'session' | 'series' = 'session',
): Promise<Download> {
  const path = scope === 'series' ? `series/export/${format}` : `export/${format}`;
  let response: Response;
  try {
    response = await fetch(`/api/sessions/${code}/${path}`, {
      headers: { Authorization: `Bearer ${hostKey}` },
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, null, UNREACHABLE);
  }
  if (!response.ok) throw await errorFrom(response);
  const fallback = `chorus-${scope === 'series' ? 'series-' : ''}${code}.${format}`;
  return { blob: await response.blob(), filename: dispositionName(response.headers.get('Content-Disposition')) ?? fallback };
}

/**
 * `PUT /api/sessions/{code}/booked` with the host key: the booked numbers (total and per
 * group, either may be null). Answers the session JSON.
 */
export function putBooked(code: string, hostKey: string, booked: { total: number | null; groups: (number | null)[] | null }): Promise<unknown> {
  return send<unknown>('PUT', `/api/sessions/${code}/booked`, booked, hostKey);
}

/** Whose report: one session's, or its whole series' (kept with the series' first session). */
export type ReportScope = 'session' | 'series';

const reportPath = (code: string, scope: ReportScope) =>
  scope === 'series' ? `/api/sessions/${code}/series/report` : `/api/sessions/${code}/report`;

/** `GET /api/sessions/{code}` with the host key. */
export function getSession(code: string, hostKey: string): Promise<SessionInfo> {
  return send<SessionInfo>('GET', `/api/sessions/${code}`, undefined, hostKey);
}

/** `GET /api/sessions/{code}/report` (or `…/series/report`): the content, the candidates, the state. */
export function getReport(code: string, hostKey: string, scope: ReportScope): Promise<ReportView> {
  return send<ReportView>('GET', reportPath(code, scope), undefined, hostKey);
}

/** `PUT /api/sessions/{code}/report` (or `…/series/report`): answers as `GET` does. */
export function putReport(code: string, hostKey: string, scope: ReportScope, content: ReportContent): Promise<ReportView> {
  return send<ReportView>('PUT', reportPath(code, scope), content, hostKey);
}

/** `POST /api/sessions/{code}/summary`: publishes "what we heard" with these sections. */
export function publishSummary(code: string, hostKey: string, sections: string[]): Promise<{ url: string }> {
  return send<{ url: string }>('POST', `/api/sessions/${code}/summary`, { sections }, hostKey);
}

/** `DELETE /api/sessions/{code}/summary`: its address answers 410 from then on. */
export function unpublishSummary(code: string, hostKey: string): Promise<null> {
  return send<null>('DELETE', `/api/sessions/${code}/summary`, undefined, hostKey);
}
