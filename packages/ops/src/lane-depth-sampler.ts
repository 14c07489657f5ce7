import type { ImageJobCatalog } from '@imageforge/jobs';
import type { JobQueue } from '@imageforge/queue';
import type { OpsHistoryRecorder } from './ops-history.recorder';

/**
 * Samples the waiting count of every lane of `queues` into the history buckets' `depth`, one
 * count script per lane queue (each in its own slot). A worker's heartbeat runs it.
 */
export function laneDepthSampler(queue: JobQueue<ImageJobCatalog>, queues: readonly string[], history: Pick<OpsHistoryRecorder, 'recordDepth'>): () => Promise<void> {
  return async () => {
    const lanes = queue.laneQueues.filter((lane) => queues.includes(lane.queue));
    const depths = await Promise.all(
      lanes.map(async ({ queue: name, lane, bull }) => {
        const counts = await bull.getJobCounts('wait', 'prioritized', 'waiting-children');
        return { queue: name, lane, waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts['waiting-children'] ?? 0) };
      }),
    );
    await history.recordDepth(depths);
  };
}
