import { JOB_LANES, type JobCatalog, type JobLane } from '@imageforge/jobs';
import { CapacityGate, type LaneShares } from './capacity-gate';
import type { WorkerJobEvent } from './job-processor';
import { createJobWorker, type JobWorkerOptions, type WorkerHandle } from './job-worker';
import { laneQueueName } from './lane-queues';

export interface LaneWorkersOptions<C extends JobCatalog> extends Omit<JobWorkerOptions<C>, 'queueName' | 'gate' | 'onJobEvent'> {
  /** The model queue; one worker runs for each of its lane queues. */
  queue: string;
  /** Jobs run at once across all lanes: the slots of their shared gate. */
  concurrency: number;
  /** Minimum shares of contended slots, e.g. `{ batch: 0.1, async: 0.1 }`. Default: none. */
  minShares?: LaneShares;
  onJobEvent?: (event: WorkerJobEvent, lane: JobLane) => void;
}

export interface LaneWorkers {
  readonly gate: CapacityGate;
  /** One per lane, most urgent first. */
  readonly handles: ReadonlyArray<WorkerHandle & { lane: JobLane; queueName: string }>;
  /** Closes every lane's worker; see WorkerHandle.close. */
  close(deadlineMs?: number): Promise<void>;
}

/**
 * Serves every lane of one model queue from one pool of capacity: a BullMQ worker per
 * lane queue, all waiting at one CapacityGate, so a sync call waits for running jobs
 * only, never behind queued bulk work, while bulk lanes keep their minimum shares.
 */
export async function createLaneWorkers<C extends JobCatalog>(options: LaneWorkersOptions<C>): Promise<LaneWorkers> {
  const { queue, minShares, onJobEvent, ...shared } = options;
  const gate = new CapacityGate({ slots: options.concurrency, ...(minShares ? { minShares } : {}) });
  const handles: Array<WorkerHandle & { lane: JobLane; queueName: string }> = [];
  const close = async (deadlineMs?: number) => {
    await Promise.all(handles.map((handle) => handle.close(deadlineMs)));
  };
  try {
    for (const lane of JOB_LANES) {
      const queueName = laneQueueName(queue, lane);
      const handle = await createJobWorker({
        ...shared,
        queueName,
        // One more than the slots: a lane running all of them still holds the job that goes next.
        concurrency: options.concurrency + 1,
        gate: gate.lane(lane),
        ...(onJobEvent ? { onJobEvent: (event: WorkerJobEvent) => onJobEvent(event, lane) } : {}),
      });
      handles.push({ worker: handle.worker, close: handle.close, lane, queueName });
    }
  } catch (error) {
    await close(0).catch(() => undefined);
    throw error;
  }
  return { gate, handles, close };
}
