import type { ModelRegistryEntry, NormalizedImageParams } from '@imageforge/contracts';
import { ConflictError, InternalError, ServiceUnavailableError, TimeoutError } from '@imageforge/contracts';
import { inputImageKey, inputMaskKey, type ImageJobName, type ImageJobPayload } from '@imageforge/jobs';
import type { ObjectStorage } from '@imageforge/storage';
import type { ImageJobGateway, ImageJobRecord, JobOutcome, JobWaiter } from './image-job-gateway';
import { idempotentImageJobId, newImageJobId } from './image-job-id';
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
  /** `Idempotency-Key` header: a retry with the same key gets the first attempt's job. */
  idempotencyKey?: string;
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
    const jobId = ctx.idempotencyKey ? idempotentImageJobId(ctx.owner, ctx.idempotencyKey) : newImageJobId();
    if (ctx.idempotencyKey) {
      const existing = await this.deps.gateway.read(jobId);
      if (existing) return this.resume(existing, name, ctx, mode);
    }
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
    return this.settle(jobId, payload.params, waiter, ctx, mode);
  }

  /** A retried request whose Idempotency-Key already names a job: answer from that job. */
  private async resume(existing: ImageJobRecord, name: ImageJobName, ctx: SubmitContext, mode: SubmitMode): Promise<SubmitOutcome> {
    const jobId = existing.id;
    if (existing.name !== name) {
      throw new ConflictError('This Idempotency-Key was already used for a different kind of request.', {
        code: 'idempotency_key_reused',
        headers: { 'x-job-id': jobId },
      });
    }
    if (mode.kind === 'async') return { kind: 'accepted', jobId };
    const settled = outcomeOf(existing);
    if (settled) return this.answer(jobId, existing.payload.params, settled, mode);
    const waiter = this.deps.gateway.register(existing.queue, jobId, name);
    // It may have finished between the read and the registration; the waiter's own
    // reconciliation would catch that too, but only seconds later.
    const reread = await this.deps.gateway.read(jobId);
    const finished = reread && outcomeOf(reread);
    if (finished) {
      waiter.cancel();
      return this.answer(jobId, existing.payload.params, finished, mode);
    }
    return this.settle(jobId, existing.payload.params, waiter, ctx, mode);
  }

  private async settle(
    jobId: string,
    params: NormalizedImageParams,
    waiter: JobWaiter,
    ctx: SubmitContext,
    mode: Exclude<SubmitMode, { kind: 'async' }>,
  ): Promise<SubmitOutcome> {
    const outcome = await waitWithTimeout(waiter, mode.timeoutMs, ctx.signal);
    if (outcome === 'timeout') {
      if (mode.kind === 'wait') return { kind: 'accepted', jobId };
      throw new TimeoutError(
        `The image job ${jobId} did not finish within ${Math.round(mode.timeoutMs / 1000)} s. It is still running: poll GET /v1/images/jobs/${jobId} for the result.`,
        { code: 'job_timeout', headers: { 'x-job-id': jobId, 'x-should-retry': 'false' } },
      );
    }
    return this.answer(jobId, params, outcome, mode);
  }

  private async answer(jobId: string, params: NormalizedImageParams, outcome: JobOutcome, mode: SubmitMode): Promise<SubmitOutcome> {
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
    const response = await buildImagesResponse(outcome.result, params, this.deps.storage, {
      urlTtlSeconds: this.deps.urlTtlSeconds,
    });
    return { kind: 'completed', jobId, response };
  }
}

/** The final outcome of a job read from the queue, or null while it is still queued or running. */
function outcomeOf(record: ImageJobRecord): JobOutcome | null {
  if (record.status === 'succeeded' && record.result) return { state: 'completed', result: record.result };
  if (record.status === 'failed') return { state: 'failed', failedReason: record.errorMessage ?? 'failed' };
  if (record.status === 'cancelled') return { state: 'cancelled', failedReason: record.errorMessage ?? 'cancelled' };
  return null;
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
