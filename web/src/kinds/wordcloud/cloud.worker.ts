// Lays out word clouds off the page's main thread: d3-cloud measures every word on a
// 2048 × 2048 canvas, which can take a tenth of a second for a full cloud. Same inputs and
// outputs as `layOutHere` in cloudLayout.ts.

import { runCloud, type LayoutJob, type LayoutAnswer } from './cloudRun';

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<LayoutJob>) => void) | null;
  postMessage: (answer: LayoutAnswer) => void;
};

scope.onmessage = (event) => {
  const { job, requests, width, height } = event.data;
  try {
    runCloud(requests, width, height, () => new OffscreenCanvas(1, 1), Infinity, (placed) =>
      scope.postMessage({ job, placed, error: null }),
    );
  } catch (error) {
    scope.postMessage({ job, placed: [], error: error instanceof Error ? error.message : String(error) });
  }
};
