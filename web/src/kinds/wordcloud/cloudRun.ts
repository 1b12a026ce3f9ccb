// One run of d3-cloud (layout only) with the starting places of `cloud.ts`. Used in the
// worker and, where there is no worker, on the page.

import cloud from 'd3-cloud';

import { CLOUD_FONT, CLOUD_WEIGHT, startingSpiral, type LayoutRequest, type Point } from './cloud';

export type Found = Point & { id: string };

export interface LayoutJob {
  job: number;
  requests: LayoutRequest[];
  width: number;
  height: number;
}

export interface LayoutAnswer {
  job: number;
  placed: Found[];
  error: string | null;
}

interface Tag extends LayoutRequest {
  x?: number;
  y?: number;
}

/** Runs d3-cloud; `interval` is how long it works before letting the page breathe. */
export function runCloud(
  requests: LayoutRequest[],
  width: number,
  height: number,
  canvas: () => unknown,
  interval: number,
  done: (placed: Found[]) => void,
): () => void {
  const words: Tag[] = requests.map((request) => ({ ...request, start: request.start ? { ...request.start } : null }));
  const layout = cloud<Tag>()
    .canvas(canvas as () => HTMLCanvasElement)
    .size([width, height])
    .words(words)
    .text((word) => word.text)
    .font(CLOUD_FONT)
    .fontWeight(CLOUD_WEIGHT)
    .fontSize((word) => word.size)
    .rotate(0)
    .padding(4)
    // Every word starts at the centre and turns the same way; the spiral moves its start.
    .random(() => 0.5)
    .spiral(startingSpiral(requests) as (size: [number, number]) => (t: number) => [number, number])
    .timeInterval(interval)
    .on('end', (tags: Tag[]) => done(tags.map((tag) => ({ id: tag.id, x: tag.x ?? 0, y: tag.y ?? 0 }))));
  layout.start();
  return () => layout.stop();
}
