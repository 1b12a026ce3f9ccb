import { describe, expect, it } from 'vitest';

import { aggregate, scale } from './fixtures';
import type { ServerMessage } from './protocol';
import { readProjectorFrame, type ProjectorExtras } from './projectorFrames';

const fresh = (): ProjectorExtras => ({ projector: null, page: null, timer: null, offset: 0, answered: null, summary: null });
const frame = (value: Record<string, unknown>) => value as unknown as ServerMessage;

describe('the projector’s own reading of frames', () => {
  it('reads the projector switch, the page and the timer from each step', () => {
    const extras = fresh();
    const step = { type: 'step', activity: scale, round: 'Before', open: true, reveal: false, voting: false, index: 0, total: 3 };
    readProjectorFrame(extras, frame({ ...step, projector: false, page: 1, timer: { seconds: 300, ends_at: 5000, stop_answers: true } }));
    expect(extras).toMatchObject({ projector: false, page: 1, timer: { seconds: 300, ends_at: 5000, stop_answers: true } });
    // The next step without a timer cancels it; a server that does not say leaves null.
    readProjectorFrame(extras, frame(step));
    expect(extras).toMatchObject({ projector: null, page: null, timer: null });
  });

  it('takes the server’s clock from the welcome', () => {
    const extras = fresh();
    const before = Date.now();
    readProjectorFrame(extras, frame({ type: 'welcome_present', protocol: 1, session: {}, server_time: before + 60_000 }));
    expect(extras.offset).toBeGreaterThan(59_000);
    expect(extras.offset).toBeLessThanOrEqual(60_000);
  });

  it('counts who answered, and keeps the closing summary', () => {
    const extras = fresh();
    readProjectorFrame(extras, frame({ type: 'counts', joined: 15, online: 14, took_part: 13, answered: 12 }));
    expect(extras.answered).toBe(12);
    readProjectorFrame(extras, frame({ type: 'counts', joined: 15, online: 14 }));
    expect(extras.answered).toBeNull();
    readProjectorFrame(extras, frame({ type: 'summary', activities: [{ activity: scale, data: aggregate }, { bogus: true }] }));
    expect(extras.summary).toEqual([{ activity: scale, data: aggregate }]);
  });
});
