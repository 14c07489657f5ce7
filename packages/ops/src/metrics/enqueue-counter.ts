import type { Counter } from 'prom-client';
import type { EnqueueRequest, ImageJobCatalog, JobGateway, JobLane } from '@imageforge/jobs';

/** Where a queued image job came from: its lane names it (sync calls run interactive). */
const SOURCE_OF_LANE: Record<JobLane, string> = { interactive: 'sync', async: 'async', batch: 'batch' };

export type EnqueueCounter = (requests: readonly EnqueueRequest<ImageJobCatalog>[]) => void;

export function enqueueCounter(counter: Counter<string>): EnqueueCounter {
  return (requests) => {
    for (const { queue, lane = 'interactive', payload } of requests) counter.inc({ queue, lane, model: payload.params.model, source: SOURCE_OF_LANE[lane] });
  };
}

/** The gateway, counting what it queued once Redis took it (a bulk add that throws counts nothing). */
export function countingJobGateway(gateway: JobGateway<ImageJobCatalog>, count: EnqueueCounter): JobGateway<ImageJobCatalog> {
  return {
    watch: (job) => gateway.watch(job),
    enqueue: async (request) => {
      const queued = await gateway.enqueue(request);
      count([request]);
      return queued;
    },
    enqueueBulk: async (requests) => {
      await gateway.enqueueBulk(requests);
      count(requests);
    },
    read: (jobId) => gateway.read(jobId),
    cancel: (jobId, options) => gateway.cancel(jobId, options),
    standing: (jobId, options) => gateway.standing(jobId, options),
    laneLoad: (queue, lane, options) => gateway.laneLoad(queue, lane, options),
  };
}
