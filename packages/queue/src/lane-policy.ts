import type { JobLane } from '@imageforge/jobs';

/**
 * Maps a job's lane to a BullMQ priority, or to none. BullMQ runs every job without
 * a priority before all prioritized ones, so lanes that must never wait behind bulk
 * work stay unprioritized and bulk lanes get one. A policy is a function so fairer
 * schemes (per-owner sequence numbers, shares) replace it without touching the queue.
 */
export type LanePolicy = (lane: JobLane) => number | undefined;

/** BullMQ priority of the batch lane under the default policy (1 is the most urgent prioritized job). */
export const BATCH_LANE_PRIORITY = 1_000;

/** Sync and async calls share the plain wait list, first come first served; batch work waits behind both. */
export const defaultLanePolicy: LanePolicy = (lane) => (lane === 'batch' ? BATCH_LANE_PRIORITY : undefined);
