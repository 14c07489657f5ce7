import type { ImageOperation, ImagesResponse } from '@imageforge/contracts';
import { apiErrorOfReason, endedJobErrorCode, imageJobCatalog, type AnyImageJobRecord, type JobLane, type JobStatus } from '@imageforge/jobs';
import type { ImageJobEta } from './image-job-eta';
import { resultExpiredError, type ResultRetention } from './image-result-retention';

/** The job object `GET /v1/images/jobs/{id}` and `202` answers return. */
export interface ImageJobObject {
  id: string;
  object: 'image.job';
  operation: ImageOperation;
  model: string;
  status: JobStatus;
  /** How urgently it waits: `interactive` (a sync call), `async` (`Prefer`), or `batch` (a batch's line). */
  lane: JobLane;
  /** First 16 hex characters of the owner id (the key's sha256): enough to tell callers apart, never the key. */
  owner: string;
  /** 0-100. */
  progress: number;
  /** While `queued`: how many jobs of its lane start before it (0: next). Null otherwise, and on the 202 answer. */
  queue_position: number | null;
  /**
   * Unix seconds, while queued: when it should start, from each model's measured seconds per
   * image and the work ahead in its lane. Null when its model was never measured, and on the 202 answer.
   */
  estimated_start_at: number | null;
  /** Unix seconds, while queued or running: when it should finish, on the same measure. */
  estimated_finish_at: number | null;
  /** Unix seconds. */
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  /** The body the sync call would have returned, with freshly signed links; null once its images were deleted. */
  result: ImagesResponse | null;
  /**
   * Unix seconds, once succeeded: when retention deletes its images (RETENTION_OUTPUT_HOURS). From then on
   * `result` is null and `error.code` is `result_expired`; `status` stays `succeeded`.
   */
  result_expires_at: number | null;
  /** `param` and `status` are set for an error answered as it came (an upstream's 4xx): what the sync call answered. */
  error: { message: string; code: string; param?: string | null; status?: number } | null;
  /** Unix seconds: not started by then, it ends `expired` without running (`x-deadline-ms`, or its lane's default). Null: none. */
  start_deadline_at: number | null;
  /** Milliseconds a run may last before it is aborted and fails with `deadline_exceeded`. Null: no limit. */
  run_deadline_ms: number | null;
}

const OWNER_PREFIX_LENGTH = 16;

const toSeconds = (ms: number | undefined | null): number | null => (ms === undefined || ms === null ? null : Math.floor(ms / 1000));

/** What only a read of the live queue knows; absent where the job was just created. */
export interface ImageJobLiveView {
  queuePosition: number | null;
  eta: ImageJobEta;
}

export function toImageJobObject(record: AnyImageJobRecord, result: ImagesResponse | null, live?: ImageJobLiveView, retention?: ResultRetention): ImageJobObject {
  const waiting = record.status === 'queued';
  return {
    id: record.id,
    object: 'image.job',
    operation: imageJobCatalog[record.name].operation,
    model: record.payload.params.model,
    status: record.status,
    // Jobs queued before lanes were recorded sit in the plain queue, which is the interactive lane's.
    lane: record.payload.lane ?? 'interactive',
    owner: record.payload.owner.slice(0, OWNER_PREFIX_LENGTH),
    progress: record.progress,
    queue_position: waiting ? (live?.queuePosition ?? null) : null,
    estimated_start_at: waiting ? toSeconds(live?.eta.startAt) : null,
    estimated_finish_at: waiting || record.status === 'in_progress' ? toSeconds(live?.eta.finishAt) : null,
    created_at: Math.floor(record.createdAt / 1000),
    started_at: toSeconds(record.startedAt),
    completed_at: toSeconds(record.finishedAt),
    result: retention?.expired ? null : result,
    result_expires_at: toSeconds(retention?.expiresAt),
    error: retention?.expired
      ? resultExpiredError(retention)
      : record.status === 'failed' || record.status === 'cancelled' || record.status === 'expired'
        ? endedError(record.status, record.error?.message ?? record.status)
        : null,
    start_deadline_at: toSeconds(record.payload.deadline?.startBy),
    run_deadline_ms: record.payload.deadline?.runMs ?? null,
  };
}

function endedError(status: 'failed' | 'cancelled' | 'expired', reason: string): ImageJobObject['error'] {
  const code = endedJobErrorCode({ status, reason });
  const forwarded = status === 'failed' ? apiErrorOfReason(reason) : undefined;
  return forwarded ? { message: forwarded.message, code, param: forwarded.param, status: forwarded.status } : { message: reason, code };
}
