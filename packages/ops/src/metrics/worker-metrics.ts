import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ImageJobCatalog, JobLane, JobSettledHook } from '@imageforge/jobs';
import { modelQueueOf, type WorkerJobEvent } from '@imageforge/queue';
import { classifyError } from '../error-class';
import { enqueueCounter, type EnqueueCounter } from './enqueue-counter';
import { counterOf, histogramOf } from './metric-factory';
import { MODEL_LOAD_BUCKETS, QUEUE_WAIT_BUCKETS, RUN_BUCKETS, STORAGE_UPLOAD_BUCKETS, WORKER_METRICS } from './metric-names';

export const WEBHOOK_OUTCOMES = ['delivered', 'retrying', 'failed', 'disabled'] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

export interface WorkerMetrics {
  readonly registry: Registry;
  /** The settled hook of image workers: outcomes, failures by class, images, queue wait and run time. */
  readonly imageSettled: JobSettledHook<ImageJobCatalog>;
  /** Counts the batch lines this worker queued (`source="batch"`). */
  readonly enqueued: EnqueueCounter;
  /** A lane worker's job transition (`queue`: the model queue): attempts that will be retried. */
  jobEvent(queue: string, lane: JobLane, event: WorkerJobEvent): void;
  /** BullMQ's `stalled` event of a lane worker. */
  stalled(queue: string, lane: JobLane): void;
  /** Where a successful run spent its time. */
  runTimed(run: { model: string; lane: JobLane; engineSeconds: number; storeSeconds: number }): void;
  engineLoaded(engine: string, seconds: number): void;
  webhookAttempt(outcome: WebhookOutcome): void;
}

/**
 * One worker process's registry, scraped from its own /metrics: counters and histograms observed
 * in memory as jobs settle, with no Redis write per observation. Labels are models of the registry,
 * lanes, queues, outcomes and error classes only.
 */
export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const finished = counterOf(registry, WORKER_METRICS.jobsFinished);
  const failures = counterOf(registry, WORKER_METRICS.jobFailures);
  const retries = counterOf(registry, WORKER_METRICS.jobRetries);
  const stalls = counterOf(registry, WORKER_METRICS.jobsStalled);
  const images = counterOf(registry, WORKER_METRICS.imagesGenerated);
  const gpuSeconds = counterOf(registry, WORKER_METRICS.gpuSeconds);
  const queueWait = histogramOf(registry, WORKER_METRICS.queueWait, QUEUE_WAIT_BUCKETS);
  const runSeconds = histogramOf(registry, WORKER_METRICS.runSeconds, RUN_BUCKETS);
  const storageUpload = histogramOf(registry, WORKER_METRICS.storageUpload, STORAGE_UPLOAD_BUCKETS);
  const modelLoad = histogramOf(registry, WORKER_METRICS.modelLoad, MODEL_LOAD_BUCKETS);
  const webhooks = counterOf(registry, WORKER_METRICS.webhookDeliveries);
  for (const outcome of WEBHOOK_OUTCOMES) webhooks.inc({ outcome }, 0);

  // A settled hook re-runs after a crash, so a job may be counted twice: metrics, not a ledger.
  const imageSettled: JobSettledHook<ImageJobCatalog> = async ({ queue: laneQueue, payload, outcome, timing }) => {
    const lane = payload.lane ?? 'interactive';
    const queue = modelQueueOf(laneQueue, lane);
    const { model } = payload.params;
    finished.inc({ queue, lane, model, outcome: outcome.status });
    if (outcome.status === 'succeeded') images.inc({ model }, outcome.result.images.length);
    if (outcome.status === 'failed' || outcome.status === 'expired') failures.inc({ model, error_class: classifyError(outcome.reason) });
    if (!timing) return;
    if (timing.takenAt !== undefined) queueWait.observe({ queue, lane }, Math.max(0, timing.takenAt - timing.queuedAt) / 1000);
    if (timing.startedAt !== undefined) runSeconds.observe({ model, lane }, Math.max(0, timing.settledAt - timing.startedAt) / 1000);
  };

  return {
    registry,
    imageSettled,
    enqueued: enqueueCounter(counterOf(registry, WORKER_METRICS.jobsEnqueued)),
    jobEvent(queue, lane, event) {
      if (event.type === 'failed' && event.willRetry) retries.inc({ queue, lane });
    },
    stalled: (queue, lane) => stalls.inc({ queue, lane }),
    runTimed({ model, lane, engineSeconds, storeSeconds }) {
      gpuSeconds.inc({ model, lane }, engineSeconds);
      storageUpload.observe({ model }, storeSeconds);
    },
    engineLoaded: (engine, seconds) => modelLoad.observe({ engine }, seconds),
    webhookAttempt: (outcome) => webhooks.inc({ outcome }),
  };
}
