// What the projector reads from the server's frames beyond the state every page shares
// (`live.ts`): whether the current results are shown on the projector, the facilitator's
// page, the countdown and the server's clock, how many answered the current activity, and
// the closing summary. Kept here, by the projector alone, so that a server without these
// fields (an older one) leaves them null and the projector behaves as it did.

import type { Activity, Aggregate, ServerMessage } from './protocol';

export interface ProjectorTimer {
  seconds: number;
  /** When it reaches zero, in ms since the epoch on the server's clock. */
  ends_at: number;
  stop_answers: boolean;
}

export interface SummaryItem {
  activity: Activity;
  data: Aggregate;
}

export interface ProjectorExtras {
  /** `step.projector`; null when the server does not say. */
  projector: boolean | null;
  /** `step.page`: the facilitator's page, or null for pages that turn by themselves. */
  page: number | null;
  timer: ProjectorTimer | null;
  /** The server's clock minus this one's, in ms, from the welcome's `server_time`. */
  offset: number;
  /** `counts.answered`: how many answered the current activity (its current round). */
  answered: number | null;
  /** The `summary` frame's activities, once the session is closed. */
  summary: SummaryItem[] | null;
}

type Loose = Record<string, unknown>;

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

function timerOf(value: unknown): ProjectorTimer | null {
  if (!value || typeof value !== 'object') return null;
  const timer = value as Loose;
  const endsAt = num(timer['ends_at']);
  if (endsAt === null) return null;
  return { seconds: num(timer['seconds']) ?? 0, ends_at: endsAt, stop_answers: timer['stop_answers'] === true };
}

function readStep(extras: ProjectorExtras, step: Loose): void {
  extras.projector = typeof step['projector'] === 'boolean' ? step['projector'] : null;
  extras.page = num(step['page']);
  extras.timer = timerOf(step['timer']);
}

/** Updates `extras` from one server frame (every frame may be given; most change nothing). */
export function readProjectorFrame(extras: ProjectorExtras, message: ServerMessage): void {
  const frame = message as unknown as Loose;
  switch (message.type) {
    case 'welcome_present': {
      const time = num(frame['server_time']);
      if (time !== null) extras.offset = time - Date.now();
      return;
    }
    case 'step':
      readStep(extras, frame);
      return;
    case 'counts':
      extras.answered = num(frame['answered']);
      return;
    case 'session_closed':
      extras.timer = null;
      return;
    default:
      if ((message.type as string) === 'summary' && Array.isArray(frame['activities'])) {
        extras.summary = (frame['activities'] as Loose[])
          .filter((item) => item && typeof item === 'object' && item['activity'] && item['data'])
          .map((item) => ({ activity: item['activity'] as Activity, data: item['data'] as Aggregate }));
      }
  }
}
