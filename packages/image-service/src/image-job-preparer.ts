import {
  inputImageKey,
  inputMaskKey,
  inputObjectsPrefix,
  jobDeadlineFor,
  type DeadlineDefaults,
  type ImageJobName,
  type ImageJobPayload,
  type JobLane,
} from '@imageforge/jobs';
import { DELETE_MANY_LIMIT, type ObjectStorage } from '@imageforge/storage';
import type { ImageInput, ImageRequest } from './image-submission.service';

/** Who asked and how urgently: what every image job's payload records besides the request. */
export interface JobOrigin {
  requestId: string;
  owner: string;
  lane: JobLane;
  /** A batch's line: where the worker tallies its outcome. */
  batch?: { id: string; line: number; customId: string };
  webhookUrl?: string;
  /** The caller's own queue wait (`x-deadline-ms`), in place of its lane's default. */
  queueWaitMs?: number;
}

export type PreparedImageJob = { [N in ImageJobName]: { queue: string; name: N; payload: ImageJobPayload<N> } }[ImageJobName];

/**
 * Builds an image job's payload from a validated request. Inputs given as bytes are
 * stored under the job's own keys first, so a job never exists without its inputs; a
 * job re-prepared under the same id (a batch chunk expanded again) overwrites them.
 */
export class ImageJobPreparer {
  constructor(
    private readonly storage: ObjectStorage,
    private readonly now: () => number = Date.now,
    /** The server's deadlines (DEADLINE_*), reckoned from the moment the job is prepared. */
    private readonly deadlines?: DeadlineDefaults,
  ) {}

  /** Stored keys are pushed to `stored` as they are written, so the caller can take them back. */
  async prepare(jobId: string, request: ImageRequest, origin: JobOrigin, stored: string[]): Promise<PreparedImageJob> {
    const acceptedAt = this.now();
    const deadline = jobDeadlineFor(this.deadlines, { lane: origin.lane, acceptedAt, ...(origin.queueWaitMs !== undefined ? { queueWaitMs: origin.queueWaitMs } : {}) });
    const base = {
      requestId: origin.requestId,
      owner: origin.owner,
      acceptedAt,
      params: request.params,
      lane: origin.lane,
      ...(origin.batch ? { batch: origin.batch } : {}),
      ...(origin.webhookUrl ? { webhookUrl: origin.webhookUrl } : {}),
      ...(deadline ? { deadline } : {}),
    };
    const queue = request.entry.queue;
    const place = async (input: ImageInput, key: string): Promise<string> => {
      if ('key' in input) return input.key;
      await this.storage.put(key, input.bytes, { contentType: input.contentType });
      stored.push(key);
      return key;
    };
    try {
      switch (request.operation) {
        case 'generation':
          return { queue, name: 'image.generate', payload: { ...base, prompt: request.prompt } };
        case 'edit': {
          const imageKeys = await Promise.all(request.images.map((image, index) => place(image, inputImageKey(jobId, index))));
          const maskKey = request.mask ? await place(request.mask, inputMaskKey(jobId)) : undefined;
          return { queue, name: 'image.edit', payload: { ...base, prompt: request.prompt, imageKeys, ...(maskKey ? { maskKey } : {}) } };
        }
        case 'variation':
          return { queue, name: 'image.variation', payload: { ...base, imageKey: await place(request.image, inputImageKey(jobId, 0)) } };
      }
    } catch (error) {
      await this.discard(stored);
      throw error;
    }
  }

  /** Takes back inputs of a job that was never added. */
  async discard(stored: readonly string[]): Promise<void> {
    await Promise.allSettled(stored.map((key) => this.storage.delete(key)));
  }

  /**
   * Deletes what was stored as inputs of a job that has ended for good (RETENTION_DELETE_INPUTS_ON_FINISH),
   * and answers the keys. Only the job's own `jobs/<id>/input/` objects: an input given by key (an uploaded
   * file) belongs to its file and stays.
   */
  async releaseInputs(jobId: string): Promise<string[]> {
    const released: string[] = [];
    let after: string | undefined;
    do {
      const page = await this.storage.list(inputObjectsPrefix(jobId), { limit: DELETE_MANY_LIMIT, ...(after !== undefined ? { after } : {}) });
      const keys = page.objects.map((object) => object.key);
      if (keys.length > 0) await this.storage.deleteMany(keys);
      released.push(...keys);
      after = page.next;
    } while (after !== undefined);
    return released;
  }
}
