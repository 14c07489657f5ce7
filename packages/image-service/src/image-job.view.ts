import type { ImageJobName } from '@imageforge/jobs';
import type { ImagesResponseBody } from './images-response.builder';

export type ImageJobStatus = 'queued' | 'in_progress' | 'succeeded' | 'failed' | 'cancelled';

const OPERATION_BY_JOB: Record<ImageJobName, 'generation' | 'edit' | 'variation'> = {
  'image.generate': 'generation',
  'image.edit': 'edit',
  'image.variation': 'variation',
};

/** The job object `GET /v1/images/jobs/{id}` and `202` answers return. */
export interface ImageJobObject {
  id: string;
  object: 'image.job';
  operation: 'generation' | 'edit' | 'variation';
  model: string;
  status: ImageJobStatus;
  /** 0-100. */
  progress: number;
  /** Unix seconds. */
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  /** The body the sync call would have returned, with freshly signed links. */
  result: ImagesResponseBody | null;
  error: { message: string; code: string } | null;
}

export interface ImageJobViewInput {
  id: string;
  name: ImageJobName;
  model: string;
  status: ImageJobStatus;
  progress: number;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  result: ImagesResponseBody | null;
  errorMessage?: string;
}

const toSeconds = (ms: number | undefined): number | null => (ms === undefined ? null : Math.floor(ms / 1000));

export function toImageJobObject(input: ImageJobViewInput): ImageJobObject {
  return {
    id: input.id,
    object: 'image.job',
    operation: OPERATION_BY_JOB[input.name],
    model: input.model,
    status: input.status,
    progress: Math.max(0, Math.min(100, Math.round(input.progress))),
    created_at: Math.floor(input.createdAt / 1000),
    started_at: toSeconds(input.startedAt),
    completed_at: toSeconds(input.finishedAt),
    result: input.result,
    error:
      input.status === 'failed' || input.status === 'cancelled'
        ? { message: input.errorMessage ?? input.status, code: input.status === 'cancelled' ? 'job_cancelled' : 'job_failed' }
        : null,
  };
}
