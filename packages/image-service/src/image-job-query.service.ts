import { ConflictError, NotFoundError } from '@imageforge/contracts';
import type { ObjectStorage } from '@imageforge/storage';
import type { ImageJobGateway, ImageJobRecord } from './image-job-gateway';
import { isImageJobId } from './image-job-id';
import { toImageJobObject, type ImageJobObject } from './image-job.view';
import { buildImagesResponse } from './images-response.builder';

export interface ImageJobQueryDeps {
  gateway: ImageJobGateway;
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
      throw new ConflictError(`Job ${jobId} has already ${record.status === 'succeeded' ? 'succeeded' : 'failed'} and cannot be cancelled.`, {
        param: 'job_id',
        code: 'job_not_cancellable',
      });
    }
    if (record.status !== 'cancelled') await this.deps.gateway.cancel(jobId);
    return this.present(await this.find(jobId, owner));
  }

  private async find(jobId: string, owner: string): Promise<ImageJobRecord> {
    const record = isImageJobId(jobId) ? await this.deps.gateway.read(jobId) : null;
    if (!record || record.payload.owner !== owner) {
      throw new NotFoundError(`No image job found with id '${jobId}'.`, { param: 'job_id', code: 'job_not_found' });
    }
    return record;
  }

  private async present(record: ImageJobRecord): Promise<ImageJobObject> {
    const result =
      record.status === 'succeeded' && record.result
        ? await buildImagesResponse(record.result, record.payload.params, this.deps.storage, {
            urlTtlSeconds: this.deps.urlTtlSeconds,
          })
        : null;
    return toImageJobObject({
      id: record.id,
      name: record.name,
      model: record.payload.params.model,
      status: record.status,
      progress: record.progress,
      createdAt: record.createdAt,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      result,
      errorMessage: record.errorMessage,
    });
  }
}
