import type { ImagesResponse, ModelRegistryEntry, NormalizedImageParams } from '@imageforge/contracts';
import { ConflictError } from '@imageforge/contracts';
import {
  DuplicateWaiterError,
  imageJobNameFor,
  outcomeOf,
  WaiterClosedError,
  type AnyImageJobRecord,
  type DeadlineDefaults,
  type ImageJobCatalog,
  type ImageJobName,
  type ImageJobPayload,
  type ImageJobResult,
  type JobGateway,
  type JobLane,
  type JobOutcome,
  type JobRecord,
  type JobEventSource,
  type JobWaiter,
} from '@imageforge/jobs';
import type { ObjectStorage } from '@imageforge/storage';
import { idempotentImageJobId, newImageJobId } from './image-job-id';
import { ImageJobPreparer } from './image-job-preparer';
import { toImageJobObject, type ImageJobObject } from './image-job.view';
import { jobCancelled, jobEndedError, jobTimedOut, serverRestarting } from './image-job-errors';
import { renderImagesResponse } from './images-response';
import { followPartials, type ImageStreamListener } from './image-stream-partials';
import type { JobAdmission } from './job-admission';
import { SyncCallGuards, type SyncCallGuardDeps } from './sync-call-guards';

/** How the caller asked to be answered (the `Prefer` header). */
export type SubmitMode =
  /** Default: wait up to the server's sync limit; past it, an error naming the job. */
  | { kind: 'sync'; timeoutMs: number }
  /** `Prefer: wait=N`: wait up to N seconds, then answer 202 with the job. */
  | { kind: 'wait'; timeoutMs: number }
  /** `Prefer: respond-async`: answer 202 at once. */
  | { kind: 'async' };

export type SubmitOutcome =
  | { kind: 'completed'; jobId: string; response: ImagesResponse }
  /**
   * `job` is set when the job object is known without reading it back: after
   * `respond-async`, a job just added is queued with no progress.
   */
  | { kind: 'accepted'; jobId: string; job?: ImageJobObject };

export interface SubmitContext {
  requestId: string;
  owner: string;
  /** Fires when the caller went away: a wait stops; a plain sync call's job not yet started is cancelled (`cancelAbandoned`). */
  signal?: AbortSignal;
  /** `x-deadline-ms`: how long the job may wait to start, in place of its lane's default. */
  queueWaitMs?: number;
  /** `Idempotency-Key` header: a retry with the same key gets the first attempt's job. */
  idempotencyKey?: string;
  /** The request's own `webhook_url`, already checked against the allowed hosts. */
  webhookUrl?: string;
  /** `stream: true`: told when the job is queued and of each preview; the answer is still the outcome. */
  stream?: ImageStreamListener;
  /** The caller's limits: asked before a new job is made, it throws to refuse. */
  admission?: JobAdmission;
}

/** An input image: already in storage (a file, a batch line's reference), or bytes to store. */
export type ImageInput = { key: string } | { bytes: Buffer; contentType: string };

/** One validated image request, however it arrived (HTTP, a batch line, a retry). */
export type ImageRequest =
  | { operation: 'generation'; entry: ModelRegistryEntry; params: NormalizedImageParams; prompt: string }
  | { operation: 'edit'; entry: ModelRegistryEntry; params: NormalizedImageParams; prompt: string; images: ImageInput[]; mask?: ImageInput }
  | { operation: 'variation'; entry: ModelRegistryEntry; params: NormalizedImageParams; image: ImageInput };

export interface ImageSubmissionDeps {
  gateway: JobGateway<ImageJobCatalog>;
  storage: ObjectStorage;
  /** Lifetime of returned links. */
  urlTtlSeconds: number;
  now?: () => number;
  /** The job event stream, for the previews of `stream: true` requests; absent: streams get no previews. */
  events?: Pick<JobEventSource, 'subscribeJob'>;
  /** The server's deadlines (DEADLINE_*); absent: none but the caller's own. */
  deadlines?: DeadlineDefaults;
}

/** Backpressure and abandoned-call cancels, for plain sync calls only. */
export type ImageSubmissionOptions = ImageSubmissionDeps & Omit<SyncCallGuardDeps, 'gateway'>;

/**
 * Turns a validated request into a queued job and, unless the caller asked for
 * async, waits for it. Inputs reach storage before the job exists (and leave it
 * again if the job cannot be added), and the waiter is registered before the job
 * is added, so no completion can slip between.
 */
export class ImageSubmissionService {
  private readonly preparer: ImageJobPreparer;
  private readonly guards: SyncCallGuards;

  constructor(private readonly deps: ImageSubmissionOptions) {
    this.preparer = new ImageJobPreparer(deps.storage, deps.now, deps.deadlines);
    this.guards = new SyncCallGuards(deps);
  }

  async submit(request: ImageRequest, ctx: SubmitContext, mode: SubmitMode): Promise<SubmitOutcome> {
    const jobId = ctx.idempotencyKey ? idempotentImageJobId(ctx.owner, ctx.idempotencyKey) : newImageJobId();
    if (ctx.idempotencyKey) {
      const existing = await this.deps.gateway.read(jobId);
      if (existing) return this.resume(existing, request, mode, ctx);
    }
    // Refused before the caller's image and job limits count it: nothing was queued.
    if (mode.kind === 'sync') await this.guards.refuseIfOverloaded(request.entry.queue, request.params.model, mode.timeoutMs);
    const admitted = await ctx.admission?.admit({ jobId, images: request.params.n });
    const withdraw = () => admitted?.withdraw().catch(() => undefined);
    const stored: string[] = [];
    const lane: JobLane = mode.kind === 'sync' ? 'interactive' : 'async';
    const context = {
      requestId: ctx.requestId,
      owner: ctx.owner,
      lane,
      ...(ctx.webhookUrl ? { webhookUrl: ctx.webhookUrl } : {}),
      ...(ctx.queueWaitMs !== undefined ? { queueWaitMs: ctx.queueWaitMs } : {}),
    };
    const { queue, name, payload } = await this.preparer.prepare(jobId, request, context, stored).catch(async (error: unknown) => {
      await withdraw();
      throw error;
    });
    const waiter = mode.kind === 'async' ? undefined : this.watch(queue, jobId, name);
    // Followed before the job exists, as the waiter is, so no preview slips between.
    const partials = this.followPartials(jobId, request, ctx);
    let createdAt: number;
    try {
      ({ createdAt } = await this.deps.gateway.enqueue({ queue, name, payload, jobId, lane, owner: ctx.owner }));
    } catch (error) {
      waiter?.cancel();
      await partials?.stop();
      // No job will ever read them: take the inputs back in the same call.
      await this.preparer.discard(stored);
      await withdraw();
      throw error;
    }
    ctx.stream?.onStarted(jobId);
    if (mode.kind !== 'async' && waiter) {
      try {
        return await this.settle(jobId, queue, payload, waiter, ctx, mode, partials);
      } finally {
        await partials?.stop();
      }
    }
    const record: JobRecord<ImageJobCatalog> = { id: jobId, name, queue, status: 'queued', progress: 0, createdAt, attemptsMade: 0, payload };
    return { kind: 'accepted', jobId, job: toImageJobObject(record as AnyImageJobRecord, null) };
  }

  /** A retried request whose Idempotency-Key already names a job: answer from that job. */
  private async resume(existing: AnyImageJobRecord, request: ImageRequest, mode: SubmitMode, ctx: SubmitContext): Promise<SubmitOutcome> {
    const jobId = existing.id;
    if (existing.name !== imageJobNameFor(request.operation)) {
      throw new ConflictError('This Idempotency-Key was already used for a different kind of request.', {
        code: 'idempotency_key_reused',
        headers: { 'x-job-id': jobId },
      });
    }
    if (mode.kind === 'async') return { kind: 'accepted', jobId };
    const settled = outcomeOf(existing);
    if (settled) return this.answer(jobId, existing.payload, settled);
    const waiter = this.watch(existing.queue, jobId, existing.name);
    // It may have finished between the read and the registration; the waiter's own
    // reconciliation would catch that too, but only seconds later.
    const reread = await this.deps.gateway.read(jobId);
    const finished = reread && outcomeOf(reread);
    if (finished) {
      waiter.cancel();
      return this.answer(jobId, existing.payload, finished);
    }
    return this.settle(jobId, existing.queue, existing.payload, waiter, ctx, mode);
  }

  private followPartials(jobId: string, request: ImageRequest, ctx: SubmitContext) {
    const { events } = this.deps;
    if (!ctx.stream || !events || request.operation === 'variation' || !request.params.partialImages) return undefined;
    const { storage, now = Date.now } = this.deps;
    return followPartials({ events, storage, jobId, operation: request.operation, params: request.params, listener: ctx.stream, now });
  }

  /** A waiter, or one that reports the restart when this process no longer waits for anything. */
  private watch(queue: string, jobId: string, name: ImageJobName): JobWaiter<ImageJobResult> {
    try {
      return this.deps.gateway.watch({ queue, jobId, name });
    } catch (error) {
      if (error instanceof WaiterClosedError) return { promise: Promise.reject(error), cancel: () => undefined };
      if (error instanceof DuplicateWaiterError) {
        throw new ConflictError('Another request with this Idempotency-Key is still waiting for its job; retry once it has been answered.', {
          code: 'idempotent_request_in_progress',
          headers: { 'x-job-id': jobId },
        });
      }
      throw error;
    }
  }

  private async settle(
    jobId: string,
    queue: string,
    payload: ImageJobPayload,
    waiter: JobWaiter<ImageJobResult>,
    ctx: SubmitContext,
    mode: Exclude<SubmitMode, { kind: 'async' }>,
    partials?: { stop(): Promise<void> },
  ): Promise<SubmitOutcome> {
    const outcome = await waitWithTimeout(waiter, mode.timeoutMs, ctx.signal);
    // Every preview already announced goes out before the ending.
    await partials?.stop();
    if (outcome === 'abandoned' && this.dropsAbandoned(ctx, mode) && (await this.guards.abandon(jobId, queue))) throw jobCancelled(jobId);
    if (outcome === 'timeout' || outcome === 'interrupted' || outcome === 'abandoned') {
      if (mode.kind === 'wait') return { kind: 'accepted', jobId };
      throw outcome === 'interrupted' ? serverRestarting(jobId) : jobTimedOut(jobId, mode.timeoutMs);
    }
    return this.answer(jobId, payload, outcome);
  }

  /**
   * Only a plain sync call's job goes with its caller. A stream's caller already holds the job id
   * (and previews), a `Prefer: wait` caller said it would poll, and an Idempotency-Key promises a
   * retry that should find the job, not a cancelled one.
   */
  private dropsAbandoned(ctx: SubmitContext, mode: Exclude<SubmitMode, { kind: 'async' }>): boolean {
    return mode.kind === 'sync' && !ctx.stream && !ctx.idempotencyKey;
  }

  private async answer(jobId: string, payload: ImageJobPayload, outcome: JobOutcome<ImageJobResult>): Promise<SubmitOutcome> {
    if (outcome.status !== 'succeeded') throw jobEndedError(jobId, outcome);
    // A stream's frames carry the bytes whatever `response_format` said.
    const rendered = payload.params.stream ? { ...payload, params: { ...payload.params, responseFormat: 'b64_json' as const } } : payload;
    const response = await renderImagesResponse(rendered, outcome.result, this.deps.storage, this.deps.urlTtlSeconds);
    return { kind: 'completed', jobId, response };
  }
}

/** The outcome, or why there is none yet: the wait ran out, the caller left, or this process is shutting down. */
async function waitWithTimeout(
  waiter: JobWaiter<ImageJobResult>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<JobOutcome<ImageJobResult> | 'timeout' | 'abandoned' | 'interrupted'> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const timeout = new Promise<'timeout' | 'abandoned'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    onAbort = () => resolve('abandoned');
    signal?.addEventListener('abort', onAbort, { once: true });
    // Gone before the wait began (while its inputs were stored, say): the listener would never fire.
    if (signal?.aborted) onAbort();
  });
  const settled = waiter.promise.catch((error: unknown) => {
    if (error instanceof WaiterClosedError) return 'interrupted' as const;
    throw error;
  });
  try {
    const outcome = await Promise.race([settled, timeout]);
    if (outcome === 'timeout' || outcome === 'abandoned') waiter.cancel();
    return outcome;
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
