import type { ModelRegistryEntry, NormalizedImageParams } from '@imageforge/contracts';
import { ConflictError, InternalError, ServiceUnavailableError, TimeoutError } from '@imageforge/contracts';
import { inputImageKey, inputMaskKey, type ImageJobName, type ImageJobPayload } from '@imageforge/jobs';
import type { ObjectStorage } from '@imageforge/storage';
import type { ImageJobGateway, JobOutcome } from './image-job-gateway';
import { newImageJobId } from './image-job-id';
import { toImageJobObject, type ImageJobObject } from './image-job.view';
import { buildImagesResponse, type ImagesResponseBody } from './images-response.builder';

/** How the caller asked to be answered (the `Prefer` header). */
export type SubmitMode =
  /** Default: wait up to the server's sync limit; past it, an error naming the job. */
  | { kind: 'sync'; timeoutMs: number }
  /** `Prefer: wait=N`: wait up to N seconds, then answer 202 with the job. */
  | { kind: 'wait'; timeoutMs: number }
  /** `Prefer: respond-async`: answer 202 at once. */
  | { kind: 'async' };

export type SubmitOutcome =
  | { kind: 'completed'; jobId: string; response: ImagesResponseBody }
  /**
   * `job` is set when the job object is known without reading it back: after
   * `respond-async`, a job just added is queued with no progress.
   */
  | { kind: 'accepted'; jobId: string; job?: ImageJobObject };

export interface SubmitContext {
  requestId: string;
  owner: string;
  /** Fires when the caller went away; a sync wait stops, the job goes on. */
  signal?: AbortSignal;
}

export interface StoredInput {
  bytes: Buffer;
  contentType: string;
}

export interface ImageSubmissionDeps {
  gateway: ImageJobGateway;
  storage: ObjectStorage;
  /** Lifetime of returned links. */
  urlTtlSeconds: number;
  now?: () => number;
}

/**
 * Turns a validated request into a queued job and, unless the caller asked for
 * async, waits for it. Inputs reach storage before the job exists, and the waiter
 * is registered before the job is added, so no completion can slip between.
 */
export class ImageSubmissionService {
  private readonly now: () => number;

  constructor(private readonly deps: ImageSubmissionDeps) {
    this.now = deps.now ?? Date.now;
  }

  submitGeneration(entry: ModelRegistryEntry, params: NormalizedImageParams, prompt: string, ctx: SubmitContext, mode: SubmitMode) {
    return this.submit(entry, 'image.generate', () => ({ ...this.context(params, ctx), prompt }), ctx, mode);
  }

  submitEdit(
    entry: ModelRegistryEntry,
    params: NormalizedImageParams,
    prompt: string,
    inputs: { images: StoredInput[]; mask?: StoredInput },
    ctx: SubmitContext,
    mode: SubmitMode,
  ) {
    return this.submit(
      entry,
      'image.edit',
      async (jobId) => {
        const imageKeys = await Promise.all(
          inputs.images.map(async (image, index) => {
            const key = inputImageKey(jobId, index);
            await this.deps.storage.put(key, image.bytes, { contentType: image.contentType });
            return key;
          }),
        );
        let maskKey: string | undefined;
        if (inputs.mask) {
          maskKey = inputMaskKey(jobId);
          await this.deps.storage.put(maskKey, inputs.mask.bytes, { contentType: inputs.mask.contentType });
        }
        return { ...this.context(params, ctx), prompt, imageKeys, ...(maskKey ? { maskKey } : {}) };
      },
      ctx,
      mode,
    );
  }

  submitVariation(entry: ModelRegistryEntry, params: NormalizedImageParams, image: StoredInput, ctx: SubmitContext, mode: SubmitMode) {
    return this.submit(
      entry,
      'image.variation',
      async (jobId) => {
        const imageKey = inputImageKey(jobId, 0);
        await this.deps.storage.put(imageKey, image.bytes, { contentType: image.contentType });
        return { ...this.context(params, ctx), imageKey };
      },
      ctx,
      mode,
    );
  }

  private context(params: NormalizedImageParams, ctx: SubmitContext) {
    return { requestId: ctx.requestId, owner: ctx.owner, acceptedAt: this.now(), params };
  }

  private async submit<N extends ImageJobName>(
    entry: ModelRegistryEntry,
    name: N,
    buildPayload: (jobId: string) => ImageJobPayload<N> | Promise<ImageJobPayload<N>>,
    ctx: SubmitContext,
    mode: SubmitMode,
  ): Promise<SubmitOutcome> {
    const jobId = newImageJobId();
    const payload = await buildPayload(jobId);
    if (mode.kind === 'async') {
      const { createdAt } = await this.deps.gateway.enqueue(entry.queue, name, payload, jobId);
      const job = toImageJobObject({ id: jobId, name, model: payload.params.model, status: 'queued', progress: 0, createdAt, result: null });
      return { kind: 'accepted', jobId, job };
    }
    const waiter = this.deps.gateway.register(entry.queue, jobId, name);
    try {
      await this.deps.gateway.enqueue(entry.queue, name, payload, jobId);
    } catch (error) {
      waiter.cancel();
      throw error;
    }
    const outcome = await waitWithTimeout(waiter, mode.timeoutMs, ctx.signal);
    if (outcome === 'timeout') {
      if (mode.kind === 'wait') return { kind: 'accepted', jobId };
      throw new TimeoutError(
        `The image job ${jobId} did not finish within ${Math.round(mode.timeoutMs / 1000)} s. It is still running: poll GET /v1/images/jobs/${jobId} for the result.`,
        { code: 'job_timeout', headers: { 'x-job-id': jobId, 'x-should-retry': 'false' } },
      );
    }
    if (outcome.state === 'interrupted') {
      if (mode.kind === 'wait') return { kind: 'accepted', jobId };
      throw new ServiceUnavailableError(
        `The server is restarting and stopped waiting for image job ${jobId}. The job goes on: poll GET /v1/images/jobs/${jobId} for the result.`,
        { code: 'server_shutting_down', headers: { 'x-job-id': jobId, 'x-should-retry': 'false' } },
      );
    }
    if (outcome.state === 'cancelled') {
      throw new ConflictError(`The image job ${jobId} was cancelled before it finished.`, {
        code: 'job_cancelled',
        headers: { 'x-job-id': jobId, 'x-should-retry': 'false' },
      });
    }
    if (outcome.state === 'failed') throw jobFailed(jobId, outcome.failedReason);
    const response = await buildImagesResponse(outcome.result, payload.params, this.deps.storage, {
      urlTtlSeconds: this.deps.urlTtlSeconds,
    });
    return { kind: 'completed', jobId, response };
  }
}

export function jobFailed(jobId: string, reason: string): InternalError {
  return new InternalError(`The image job ${jobId} failed: ${reason}`, {
    code: 'job_failed',
    headers: { 'x-job-id': jobId, 'x-should-retry': 'false' },
  });
}

async function waitWithTimeout(
  waiter: { promise: Promise<JobOutcome>; cancel(): void },
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<JobOutcome | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    onAbort = () => resolve('timeout');
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const outcome = await Promise.race([waiter.promise, timeout]);
    if (outcome === 'timeout') waiter.cancel();
    return outcome;
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
