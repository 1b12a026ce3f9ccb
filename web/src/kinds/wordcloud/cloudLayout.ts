// Lays out a word cloud (see cloud.ts for the bookkeeping): in a worker where the browser
// has workers and OffscreenCanvas, so that a big cloud never holds up the page, and on the
// page a few milliseconds at a time otherwise. Browser only: d3-cloud measures on a canvas.

import type { LayoutRequest } from './cloud';
import { runCloud, type Found, type LayoutAnswer } from './cloudRun';

let worker: Worker | null | undefined;
let jobs = 0;
const waiting = new Map<number, (placed: Found[] | null) => void>();

function layoutWorker(): Worker | null {
  if (worker !== undefined) return worker;
  worker = null;
  if (typeof Worker === 'undefined' || typeof OffscreenCanvas === 'undefined') return null;
  try {
    worker = new Worker(new URL('./cloud.worker.ts', import.meta.url), { type: 'module', name: 'chorus-cloud' });
    worker.onmessage = (event: MessageEvent<LayoutAnswer>) => {
      const done = waiting.get(event.data.job);
      waiting.delete(event.data.job);
      done?.(event.data.error === null ? event.data.placed : null);
    };
    worker.onerror = () => {
      // The worker cannot run here: lay out on the page from now on.
      worker?.terminate();
      worker = null;
      for (const done of waiting.values()) done(null);
      waiting.clear();
    };
  } catch {
    worker = null;
  }
  return worker;
}

function layOutHere(requests: LayoutRequest[], width: number, height: number, done: (placed: Found[]) => void): () => void {
  return runCloud(requests, width, height, () => document.createElement('canvas'), 12, done);
}

/**
 * Lays out `requests` (in layout order) in a `width` × `height` cloud and hands the places
 * found (from the centre) to `done`. Returns a function that abandons the layout.
 */
export function layOut(
  requests: LayoutRequest[],
  width: number,
  height: number,
  done: (placed: Found[]) => void,
): () => void {
  const started = performance.now();
  let cancelled = false;
  let stopHere: (() => void) | null = null;
  const finish = (placed: Found[]) => {
    if (cancelled) return;
    performance.measure('chorus-cloud-layout', { start: started, detail: { words: requests.length } });
    done(placed);
  };
  const background = layoutWorker();
  if (background) {
    const job = ++jobs;
    waiting.set(job, (placed) => {
      if (cancelled) return;
      if (placed) finish(placed);
      else stopHere = layOutHere(requests, width, height, finish);
    });
    background.postMessage({ job, requests, width, height });
    return () => {
      cancelled = true;
      waiting.delete(job);
    };
  }
  stopHere = layOutHere(requests, width, height, finish);
  return () => {
    cancelled = true;
    stopHere?.();
  };
}
