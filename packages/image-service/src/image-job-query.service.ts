import { ConflictError, NotFoundError } from '@imageforge/contracts';
import type { AnyImageJobRecord, ImageJobCatalog, JobGateway } from '@imageforge/jobs';
import type { ObjectStorage } from '@imageforge/storage';
import { isImageJobId } from './image-job-id';
import { toImageJobObject, type ImageJobObject } from './image-job.view';
import { renderImagesResponse } from './images-response';

export interface ImageJobQueryDeps {
  gateway: JobGateway<ImageJobCatalog>;
  storage: ObjectStorage;
  urlTtlSeconds: number;
}

/** Poll and cancel. A key sees only its own jobs: anyone else's id reads as absent. */
export class ImageJobQueryService {
  constructor(private readonly deps: ImageJobQueryDeps) {}

  async get(jobId: string, owner: string): Promise<ImageJobObject> {
    return this.present(await this.find(jobId, owner));
  }

  async cancel(jobId: string, owner: string): Promise<ImageJobObject> {
    const record = await this.find(jobId, owner);
    if (record.status === 'succeeded' || record.status === 'failed') {
      throw new ConflictError(`Job ${jobId} has already ${record.status} and cannot be cancelled.`, {
        param: 'job_id',
        code: 'job_not_cancellable',
      });
    }
    if (record.status !== 'cancelled') await this.deps.gateway.cancel(jobId);
    return this.present(await this.find(jobId, owner));
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
    const result =
      record.status === 'succeeded' && record.result
        ? await renderImagesResponse(record.payload, record.result, this.deps.storage, this.deps.urlTtlSeconds)
        : null;
    return toImageJobObject(record, result);
  }
}
