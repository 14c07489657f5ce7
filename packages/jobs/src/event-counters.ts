import type { JobLane } from './job-catalog';

/**
 * Rare endings and refusals an operator alerts on, counted once for the whole deployment
 * (not per process), so GET /metrics of any API process shows them all.
 */
export const COUNTED_EVENTS = [
  /** Not started within its queue-wait deadline (a worker). */
  'expired',
  /** Aborted past its run deadline (a worker). */
  'deadline_exceeded',
  /** A sync call refused with 503 because its lane's backlog could not finish within the sync limit (the API). */
  'overloaded',
  /** A queued job cancelled because its sync caller hung up (the API). */
  'abandoned_cancelled',
] as const;
export type CountedEvent = (typeof COUNTED_EVENTS)[number];

export interface EventCount {
  event: CountedEvent;
  queue: string;
  lane: JobLane;
  count: number;
}

export interface EventCounters {
  increment(event: CountedEvent, labels: { queue: string; lane: JobLane }): Promise<void>;
  read(): Promise<EventCount[]>;
}
