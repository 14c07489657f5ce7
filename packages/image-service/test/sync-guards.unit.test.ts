import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, ModelRegistryEntrySchema, NormalizedImageParamsSchema } from '@imageforge/contracts';
import { deadlineExceededReason, expiredReason, imageJobCatalog, type CountedEvent, type ImageJobCatalog, type ImageJobPayload, type LaneLoad, type PaceBook } from '@imageforge/jobs';
import { LocalObjectStorage } from '@imageforge/storage';
import { InMemoryJobGateway } from '@imageforge/testing';
import { ImageJobQueryService, ImageSubmissionService, syncBackpressure, type ImageRequest, type ImageSubmissionOptions, type SubmitContext, type SubmitMode } from '../src';

const NOW = 1_765_000_000_000;
const entry = ModelRegistryEntrySchema.parse({ id: 'gpt-image-1', profile: 'gpt-image' });
const params = (n = 1, model = 'gpt-image-1') =>
  NormalizedImageParamsSchema.parse({ model, profile: 'gpt-image', n, width: 256, height: 256, quality: 'low', responseFormat: 'b64_json', outputFormat: 'png', background: 'opaque' });
const generation = (n = 1): ImageRequest => ({ operation: 'generation', entry, params: params(n), prompt: 'a lighthouse' });
const SYNC: SubmitMode = { kind: 'sync', timeoutMs: 10_000 };
const tick = () => new Promise((resolve) => setImmediate(resolve));

function load(waiting: number, running: number, sample: Array<{ n: number; model?: string }>): LaneLoad<ImageJobCatalog> {
  return { waiting, running, sample: sample.map(({ n, model }) => ({ params: params(n, model) }) as unknown as ImageJobPayload) };
}

async function apiErrorOf(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error;
}

describe(syncBackpressure.name, () => {
  const pace = new Map([['gpt-image-1', 2]]);

  it('never refuses for a model never measured, however long the line', () => {
    expect(syncBackpressure({ load: load(10_000, 1, [{ n: 4 }]), model: 'gpt-image-1', secondsPerImage: new Map(), syncTimeoutMs: 1_000 })).toEqual({ admit: true, waitSeconds: null });
  });

  it('admits while the waiting images, spread over the running jobs, start within the sync limit', () => {
    // 4 jobs of 2 images at 2 s an image, over 2 running jobs: 8 s.
    expect(syncBackpressure({ load: load(4, 2, [{ n: 2 }]), model: 'gpt-image-1', secondsPerImage: pace, syncTimeoutMs: 8_000 })).toEqual({ admit: true, waitSeconds: 8 });
  });

  it('refuses past the limit with a retry-after of the excess, and counts an idle lane as one slot', () => {
    expect(syncBackpressure({ load: load(6, 0, [{ n: 1 }, { n: 3 }]), model: 'gpt-image-1', secondsPerImage: pace, syncTimeoutMs: 10_000 })).toEqual({
      admit: false,
      waitSeconds: 24,
      retryAfterSeconds: 14,
    });
  });

  it("weighs sampled jobs of other models by their own pace, or the request's when they have none", () => {
    const secondsPerImage = new Map([['gpt-image-1', 1], ['dall-e-2', 10]]);
    // Mean of 10 s (dall-e-2), 1 s (gpt-image-1) and 1 s (unmeasured, at the request's pace) per job.
    const verdict = syncBackpressure({ load: load(3, 1, [{ n: 1, model: 'dall-e-2' }, { n: 1 }, { n: 1, model: 'sd-turbo' }]), model: 'gpt-image-1', secondsPerImage, syncTimeoutMs: 11_000 });
    expect(verdict).toEqual({ admit: false, waitSeconds: 12, retryAfterSeconds: 1 });
  });
});

describe('sync calls: backpressure, abandoned callers and deadlines, without Redis', () => {
  let dir: string;
  let storage: LocalObjectStorage;
  let gateway: InMemoryJobGateway<ImageJobCatalog>;
  let jobs: ImageJobQueryService;
  let counted: CountedEvent[];
  let measured: Map<string, number>;
  const pace: PaceBook = { record: async () => undefined, read: async (models) => new Map([...measured].filter(([model]) => models.includes(model))) };

  const service = (options: Partial<ImageSubmissionOptions> = {}) =>
    new ImageSubmissionService({
      gateway,
      storage,
      urlTtlSeconds: 60,
      now: () => NOW,
      pace,
      counters: { increment: async (event) => void counted.push(event) },
      cancelAbandoned: (jobId, reason) => jobs.cancelUnstarted(jobId, reason),
      ...options,
    });
  const ctx = (extra: Partial<SubmitContext> = {}): SubmitContext => ({ requestId: 'req_1', owner: 'owner-a', ...extra });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sync-guards-'));
    storage = new LocalObjectStorage({ root: dir, publicBaseUrl: 'http://127.0.0.1:1/objects', signingSecret: 'unit-test-secret-0123' });
    gateway = new InMemoryJobGateway(imageJobCatalog, () => NOW);
    jobs = new ImageJobQueryService({ gateway, storage, urlTtlSeconds: 60 });
    counted = [];
    // Unmeasured unless a test says otherwise: such a model never refuses.
    measured = new Map();
  });
  afterEach(async () => {
    // Sync calls still waiting end as a restart would end them, so no wait outlives its test.
    gateway.closeWaiters();
    await tick();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a sync call with 503 server_is_overloaded and retry-after when its lane cannot start it in time, and queues async calls', async () => {
    const submissions = service();
    for (let i = 0; i < 3; i++) void submissions.submit(generation(), ctx(), SYNC).catch(() => undefined);
    await tick();
    measured.set('gpt-image-1', 30);
    const queuedBefore = gateway.records.length;

    const refused = await apiErrorOf(submissions.submit(generation(), ctx(), SYNC));
    expect(refused.status).toBe(503);
    expect(refused.toBody()).toEqual({ error: { message: 'The server is overloaded or not ready yet.', type: 'server_error', param: null, code: 'server_is_overloaded' } });
    // 3 waiting × 30 s on one slot: 90 s against a 10 s limit.
    expect(refused.headers['retry-after']).toBe('80');
    expect(gateway.records).toHaveLength(queuedBefore);
    expect(counted).toEqual(['overloaded']);

    expect((await submissions.submit(generation(), ctx(), { kind: 'async' })).kind).toBe('accepted');
    measured.clear();
    void submissions.submit(generation(), ctx(), SYNC).catch(() => undefined);
    await tick();
    expect(gateway.records).toHaveLength(queuedBefore + 2);
  });

  it("cancels a plain sync call's queued job when its caller hangs up, and leaves a started one running", async () => {
    const submissions = service();
    const hangup = new AbortController();
    const answer = apiErrorOf(submissions.submit(generation(), ctx({ signal: hangup.signal }), SYNC));
    await tick();
    hangup.abort();
    expect((await answer).code).toBe('job_cancelled');
    expect(gateway.records[0]).toMatchObject({ status: 'cancelled', error: { message: 'cancelled: the sync caller disconnected before it started' } });
    expect(counted).toEqual(['abandoned_cancelled']);

    const left = new AbortController();
    const running = apiErrorOf(submissions.submit(generation(), ctx({ signal: left.signal }), SYNC));
    await tick();
    gateway.start(gateway.records[1]!.id);
    left.abort();
    expect((await running).code).toBe('job_timeout');
    expect(gateway.records[1]!.status).toBe('in_progress');
  });

  it('keeps the jobs of streams, Idempotency-Key calls and deployments that turned cancelling off', async () => {
    const stream = { onStarted: () => undefined, onPartial: async () => undefined };
    const cases: Array<[ImageSubmissionService, Partial<SubmitContext>]> = [
      [service(), { stream }],
      [service(), { idempotencyKey: 'retry-me' }],
      [service({ cancelAbandoned: undefined }), {}],
    ];
    for (const [submissions, extra] of cases) {
      const hangup = new AbortController();
      const answer = apiErrorOf(submissions.submit(generation(), ctx({ ...extra, signal: hangup.signal }), SYNC));
      await tick();
      hangup.abort();
      expect((await answer).code).toBe('job_timeout');
    }
    expect(gateway.records.map((record) => record.status)).toEqual(['queued', 'queued', 'queued']);
  });

  it("stamps the lane's deadlines on the payload, the caller's x-deadline-ms in place of the queue wait", async () => {
    const submissions = service({ deadlines: { queueWaitMs: { interactive: 5_000 }, runMs: 60_000 } });
    void submissions.submit(generation(), ctx(), SYNC).catch(() => undefined);
    await tick();
    await submissions.submit(generation(), ctx({ queueWaitMs: 750 }), { kind: 'async' });
    await submissions.submit(generation(), ctx(), { kind: 'async' });
    await tick();
    expect(gateway.records.map((record) => record.payload.deadline)).toEqual([
      { startBy: NOW + 5_000, queueWaitMs: 5_000, runMs: 60_000 },
      { startBy: NOW + 750, queueWaitMs: 750, runMs: 60_000 },
      { runMs: 60_000 },
    ]);
    const polled = await jobs.get(gateway.records[1]!.id, 'owner-a');
    expect(polled).toMatchObject({ start_deadline_at: Math.floor((NOW + 750) / 1000), run_deadline_ms: 60_000 });
  });

  it('answers a sync caller 504 job_expired or deadline_exceeded, and polls show the status and code', async () => {
    const submissions = service();
    const expiring = apiErrorOf(submissions.submit(generation(), ctx(), SYNC));
    const overrunning = apiErrorOf(submissions.submit(generation(), ctx(), SYNC));
    await tick();
    const [first, second] = gateway.records;
    gateway.expire(first!.id, expiredReason({ queueWaitMs: 500 }));
    gateway.fail(second!.id, deadlineExceededReason(2_000));

    const expired = await expiring;
    expect([expired.status, expired.code, expired.headers['x-should-retry']]).toEqual([504, 'job_expired', 'false']);
    expect(expired.message).toBe(`The image job ${first!.id} was not started within its queue-wait deadline of 500 ms; it never ran.`);
    const overrun = await overrunning;
    expect([overrun.status, overrun.code]).toEqual([504, 'deadline_exceeded']);
    expect(overrun.message).toContain('deadline of 2000 ms');
    expect(await jobs.get(first!.id, 'owner-a')).toMatchObject({ status: 'expired', error: { code: 'job_expired' } });
    expect(await jobs.get(second!.id, 'owner-a')).toMatchObject({ status: 'failed', error: { code: 'deadline_exceeded' } });
    expect((await apiErrorOf(jobs.cancel(first!.id, 'owner-a'))).code).toBe('job_not_cancellable');
  });
});
