import { JOB_LANES, type JobLane } from '@imageforge/jobs';

/**
 * The BullMQ queue that holds one lane of a model queue. Interactive keeps the plain
 * name, so jobs queued before lanes had queues of their own still run; the bulk lanes
 * get their own queue, and with it their own hash tag (Cluster slot) and wait list.
 */
export function laneQueueName(queue: string, lane: JobLane): string {
  return lane === 'interactive' ? queue : `${queue}-${lane}`;
}

/** The model queue a lane queue holds a lane of (laneQueueName's inverse). */
export function modelQueueOf(laneQueue: string, lane: JobLane): string {
  const suffix = `-${lane}`;
  return lane !== 'interactive' && laneQueue.endsWith(suffix) ? laneQueue.slice(0, -suffix.length) : laneQueue;
}

/** Every lane queue of a model queue, most urgent first. */
export function laneQueueNames(queue: string): string[] {
  return JOB_LANES.map((lane) => laneQueueName(queue, lane));
}

/**
 * Refuses model queues whose lane queues would be another model queue's (`images` and
 * `images-batch`): their jobs would mix in one BullMQ queue.
 */
export function assertDistinctLaneQueues(queues: readonly string[]): void {
  const owners = new Map<string, string>();
  for (const queue of new Set(queues)) {
    for (const physical of laneQueueNames(queue)) {
      const other = owners.get(physical);
      if (other !== undefined) throw new Error(`queue ${physical} would hold lanes of both ${other} and ${queue}; rename one of them`);
      owners.set(physical, queue);
    }
  }
}
