import type { ImageJobCatalog, JobLane, JobSettledHook } from '@imageforge/jobs';
import { modelQueueOf, type QueueLogger } from '@imageforge/queue';
import { classifyError } from './error-class';
import type { OpsHistoryRecorder, SettledFact } from './ops-history.recorder';
import type { WorkerJobTracker } from './worker-job-tracker';

export interface OpsSettledHookOptions {
  history: Pick<OpsHistoryRecorder, 'recordSettled'>;
  /** The tracker fed by the same process's job events: where run starts and errors come from. */
  tracker: WorkerJobTracker;
  logger?: QueueLogger;
  now?: () => number;
}

/**
 * The settled-job hook of image workers that writes the history buckets. It never throws: a
 * throw would turn the outcome into a retry, and a lost count is better than a second run.
 */
export function opsHistoryHook(options: OpsSettledHookOptions): JobSettledHook<ImageJobCatalog> {
  const now = options.now ?? Date.now;
  return async ({ jobId, queue, payload, outcome, timing }) => {
    try {
      const lane: JobLane = payload.lane ?? laneOfQueueName(queue);
      const modelQueue = modelQueueOf(queue, lane);
      const run = options.tracker.runOf(jobId);
      const endedAt = timing?.settledAt ?? now();
      const startedAt = timing ? timing.startedAt : run?.startedAt;
      const fact: SettledFact = {
        queue: modelQueue,
        lane,
        model: payload.params.model,
        owner: payload.owner,
        status: outcome.status,
        images: outcome.status === 'succeeded' ? outcome.result.images.length : 0,
        ...(startedAt !== undefined ? { waitSeconds: Math.max(0, startedAt - payload.acceptedAt) / 1000, runSeconds: Math.max(0, endedAt - startedAt) / 1000 } : {}),
        ...(outcome.status === 'succeeded' && outcome.result.engineSeconds !== undefined ? { gpuSeconds: outcome.result.engineSeconds } : {}),
      };
      if (outcome.status !== 'succeeded') {
        const error = run?.error;
        const errorClass = classifyError(outcome.status === 'failed' && error ? error : outcome.reason);
        fact.errorClass = errorClass;
        fact.sample = {
          jobId,
          queue: modelQueue,
          lane,
          model: payload.params.model,
          // Parameters only: the payload's owner (a key hash) and prompt stay out of the sample.
          params: { ...payload.params },
          attempts: run?.attempt ?? 0,
          message: outcome.reason,
          stack: error?.stack ?? null,
        };
      }
      await options.history.recordSettled(fact);
    } catch (error) {
      options.logger?.warn({ err: error, jobId }, 'recording the job in the ops history failed');
    }
  };
}

function laneOfQueueName(queue: string): JobLane {
  if (queue.endsWith('-batch')) return 'batch';
  return queue.endsWith('-async') ? 'async' : 'interactive';
}
