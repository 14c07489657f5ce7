import { ConflictError, NotFoundError, type ImagesResponse } from '@imageforge/contracts';
import type { AnyImageJobRecord, CancelOutcome, ImageJobCatalog, JobGateway, PaceBook } from '@imageforge/jobs';
import type { ObjectStorage } from '@imageforge/storage';
import { isImageJobId } from './image-job-id';
import { estimateImageJobTimes, etaModels } from './image-job-eta';
import { toImageJobObject, type ImageJobObject } from './image-job.view';
import { renderImagesResponse } from './images-response';
import { ImagesExpiredError, resultRetention } from './image-result-retention';

export interface ImageJobQueryDeps {
  gateway: JobGateway<ImageJobCatalog>;
  storage: ObjectStorage;
  urlTtlSeconds: number;
  /**
   * Called with a job this call cancelled before it started (or found cancelled), so its
   * webhook event goes out: such a job never reaches a worker. Must be idempotent.
   */
  onCancelled?: (record: AnyImageJobRecord) => Promise<void>;
  /** Measured seconds per image by model, for `estimated_*_at`; without it they stay null. */
  pace?: PaceBook;
  /** RETENTION_OUTPUT_HOURS: how long the sweep keeps a job's images. Absent: polls never call them gone. */
  outputRetentionHours?: number;
  /** Unix milliseconds. Default: Date.now. */
  now?: () => number;
}

/** Poll and cancel. A key sees only its own jobs: anyone else's id reads as absent. */
export class ImageJobQueryService {
  constructor(private readonly deps: ImageJobQueryDeps) {}

  async get(jobId: string, owner: string): Promise<ImageJobObject> {
    return this.present(await this.find(jobId, owner));
  }

  async cancel(jobId: string, owner: string): Promise<ImageJobObject> {
    const record = await this.find(jobId, owner);
    if (record.status === 'succeeded' || record.status === 'failed' || record.status === 'expired') {
      throw new ConflictError(`Job ${jobId} has already ${record.status} and cannot be cancelled.`, {
        param: 'job_id',
        code: 'job_not_cancellable',
      });
    }
    const outcome = record.status === 'cancelled' ? 'cancelled' : await this.deps.gateway.cancel(jobId);
    let current = await this.find(jobId, owner);
    // Queued to its caller but already taken by a worker, waiting for a slot: that worker drops it
    // within milliseconds, so answer with the end rather than a `queued` that is about to change.
    for (let wait = 0; outcome === 'cancelling' && current.status === 'queued' && wait < 20; wait += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = await this.find(jobId, owner);
    }
    // A running job (`cancelling`) is announced by the worker that stops it.
    if (outcome === 'cancelled' && current.status === 'cancelled') await this.deps.onCancelled?.(current);
    return this.present(current);
  }

  /**
   * Cancels a job only while no worker has started it, for a sync caller that went away; a
   * started job runs on (`started`). No owner check: it is called for the job the caller queued.
   */
  async cancelUnstarted(jobId: string, reason: string): Promise<CancelOutcome> {
    const outcome = await this.deps.gateway.cancel(jobId, { ifNotStarted: true, reason });
    if (outcome === 'cancelled') {
      const record = await this.deps.gateway.read(jobId);
      if (record?.status === 'cancelled') await this.deps.onCancelled?.(record);
    }
    return outcome;
  }

  /** The caller's job, or the 404 OpenAI gives for an object that is not theirs. */
  async find(jobId: string, owner: string): Promise<AnyImageJobRecord> {
    const record = isImageJobId(jobId) ? await this.deps.gateway.read(jobId) : null;
    if (!record || record.payload.owner !== owner) {
      throw new NotFoundError(`No image job found with id '${jobId}'.`, { param: 'job_id', code: 'job_not_found' });
    }
    return record;
  }

  async present(record: AnyImageJobRecord): Promise<ImageJobObject> {
    const now = (this.deps.now ?? Date.now)();
    let retention = resultRetention(record, this.deps.outputRetentionHours, now);
    let result: ImagesResponse | null = null;
    if (record.status === 'succeeded' && record.result && !retention.expired) {
      try {
        result = await renderImagesResponse(record.payload, record.result, this.deps.storage, this.deps.urlTtlSeconds);
      } catch (error) {
        // Deleted sooner than the clock says (a bucket lifecycle rule, a record trimmed by count): gone all the same.
        if (!(error instanceof ImagesExpiredError)) throw error;
        retention = { ...retention, expired: true };
      }
    }
    // Computed only for reads (polls, event streams), never while a job is being created.
    const standing = record.status === 'queued' ? await this.deps.gateway.standing(record.id) : null;
    const live = record.status === 'queued' || record.status === 'in_progress';
    const secondsPerImage = live && this.deps.pace ? await this.deps.pace.read(etaModels(record, standing)) : new Map<string, number>();
    const eta = estimateImageJobTimes({ record, standing, secondsPerImage, now });
    return toImageJobObject(record, result, { queuePosition: standing?.position ?? null, eta }, retention);
  }
}
