import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, ModelRegistryEntrySchema, NormalizedImageParamsSchema, type NormalizedImageParams } from '@imageforge/contracts';
import { imageJobCatalog, inputImageKey, type ImageJobCatalog } from '@imageforge/jobs';
import { LocalObjectStorage } from '@imageforge/storage';
import { InMemoryJobGateway } from '@imageforge/testing';
import { ImageJobQueryService, ImageSubmissionService, type ImageRequest, type SubmitMode } from '../src';

const NOW = 1_765_000_000_000;
const entries = {
  'dall-e-2': ModelRegistryEntrySchema.parse({ id: 'dall-e-2', profile: 'dall-e-2' }),
  'dall-e-3': ModelRegistryEntrySchema.parse({ id: 'dall-e-3', profile: 'dall-e-3' }),
  'gpt-image-1': ModelRegistryEntrySchema.parse({ id: 'gpt-image-1', profile: 'gpt-image' }),
};

function paramsFor(model: keyof typeof entries, overrides: Partial<NormalizedImageParams> = {}): NormalizedImageParams {
  const profile = entries[model].profile;
  return NormalizedImageParamsSchema.parse({
    model,
    profile,
    n: 1,
    width: 256,
    height: 256,
    quality: profile === 'gpt-image' ? 'high' : 'standard',
    responseFormat: profile === 'gpt-image' ? 'b64_json' : 'url',
    outputFormat: 'png',
    background: 'opaque',
    ...overrides,
  });
}

const generation = (model: keyof typeof entries = 'dall-e-2', prompt = 'a lighthouse'): ImageRequest => ({
  operation: 'generation',
  entry: entries[model],
  params: paramsFor(model),
  prompt,
});

const SYNC: SubmitMode = { kind: 'sync', timeoutMs: 5_000 };
const ctx = { requestId: 'req_1', owner: 'owner-a' };

/** Lets the service register its waiter and enqueue before the test plays the worker. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function apiErrorOf(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error;
}

describe('image submission and queries without Redis', () => {
  let dir: string;
  let storage: LocalObjectStorage;
  let gateway: InMemoryJobGateway<ImageJobCatalog>;
  let submissions: ImageSubmissionService;
  let jobs: ImageJobQueryService;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'image-services-'));
    storage = new LocalObjectStorage({ root: dir, publicBaseUrl: 'http://127.0.0.1:1/objects', signingSecret: 'unit-test-secret-0123' });
    gateway = new InMemoryJobGateway(imageJobCatalog, () => NOW);
    submissions = new ImageSubmissionService({ gateway, storage, urlTtlSeconds: 60, now: () => NOW });
    jobs = new ImageJobQueryService({ gateway, storage, urlTtlSeconds: 60 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** What a worker would have stored and returned for the job. */
  async function finish(jobId: string, revisedPrompt?: string): Promise<void> {
    const key = `jobs/${jobId}/output/0.png`;
    await storage.put(key, Buffer.from('png bytes'), { contentType: 'image/png' });
    const usage = { input_tokens: 3, output_tokens: 272, total_tokens: 275, input_tokens_details: { text_tokens: 3, image_tokens: 0 } };
    gateway.complete(jobId, { images: [{ key, contentType: 'image/png', width: 256, height: 256, bytes: 9 }], usage, finishedAt: NOW + 5_000, ...(revisedPrompt ? { revisedPrompt } : {}) });
  }

  it('answers a sync call with the rendered response once the job completes, by the same rules for every model', async () => {
    const dalle3 = submissions.submit(generation('dall-e-3', 'a red fox'), ctx, SYNC);
    await tick();
    await finish(gateway.records[0]!.id);
    const gpt = submissions.submit(generation('gpt-image-1'), ctx, SYNC);
    await tick();
    await finish(gateway.records[1]!.id);

    const first = await dalle3;
    expect(first).toMatchObject({ kind: 'completed', jobId: gateway.records[0]!.id });
    if (first.kind !== 'completed') return;
    expect(first.response.created).toBe(Math.floor((NOW + 5_000) / 1000));
    expect(first.response.data).toEqual([{ url: expect.stringContaining('/objects/jobs/'), revised_prompt: 'a red fox' }]);
    expect(first.response.usage).toBeUndefined();
    const second = await gpt;
    if (second.kind !== 'completed') throw new Error('expected completion');
    expect(second.response).toMatchObject({ data: [{ b64_json: Buffer.from('png bytes').toString('base64') }], usage: { total_tokens: 275 }, size: '256x256' });
  });

  it('queues the payload the catalog expects, with the sync lane, for each operation through one call', async () => {
    await submissions.submit(generation(), ctx, { kind: 'async' });
    await submissions.submit({ operation: 'variation', entry: entries['dall-e-2'], params: paramsFor('dall-e-2'), image: { key: 'files/already-stored' } }, ctx, { kind: 'async' });
    await submissions.submit(
      { operation: 'edit', entry: entries['gpt-image-1'], params: paramsFor('gpt-image-1'), prompt: 'add a hat', images: [{ bytes: Buffer.from('img'), contentType: 'image/png' }, { key: 'files/ref' }] },
      ctx,
      { kind: 'async' },
    );

    const [generate, variation, edit] = gateway.records;
    expect(generate).toMatchObject({ name: 'image.generate', status: 'queued', payload: { owner: 'owner-a', requestId: 'req_1', acceptedAt: NOW, prompt: 'a lighthouse' } });
    expect(variation).toMatchObject({ name: 'image.variation', payload: { imageKey: 'files/already-stored' } });
    expect(edit).toMatchObject({ name: 'image.edit', payload: { prompt: 'add a hat', imageKeys: [inputImageKey(edit!.id, 0), 'files/ref'] } });
    expect((await storage.get(inputImageKey(edit!.id, 0))).toString()).toBe('img');
  });

  it('answers respond-async with the queued job object a poll reads back', async () => {
    const outcome = await submissions.submit(generation(), ctx, { kind: 'async' });
    if (outcome.kind !== 'accepted') throw new Error('expected accepted');
    // The place in line is a read of its own, made by polls but not by the 202.
    const polled = await jobs.get(outcome.jobId, 'owner-a');
    expect(polled.queue_position).toBe(0);
    expect(outcome.job).toEqual({ ...polled, queue_position: null });
    expect(outcome.job).toMatchObject({ object: 'image.job', status: 'queued', operation: 'generation', model: 'dall-e-2', created_at: Math.floor(NOW / 1000) });
  });

  it('takes back the inputs it stored when the job cannot be added, and leaves inputs it was given alone', async () => {
    gateway.failNextEnqueue(new Error('Redis is down'));
    await storage.put('files/kept', Buffer.from('k'), { contentType: 'image/png' });
    const request: ImageRequest = {
      operation: 'edit',
      entry: entries['gpt-image-1'],
      params: paramsFor('gpt-image-1'),
      prompt: 'p',
      images: [{ bytes: Buffer.from('a'), contentType: 'image/png' }, { key: 'files/kept' }],
      mask: { bytes: Buffer.from('m'), contentType: 'image/png' },
    };

    await expect(submissions.submit(request, ctx, SYNC)).rejects.toThrow('Redis is down');

    expect(gateway.records).toEqual([]);
    expect(gateway.waiting).toBe(0);
    expect((await storage.list('jobs/', { limit: 10 })).objects).toEqual([]);
    expect(await storage.head('files/kept')).not.toBeNull();
  });

  it("asks the caller's admission with n before storing anything, withdraws a job that cannot be added, and never asks for a retry", async () => {
    const asked: Array<{ jobId: string; images: number }> = [];
    const withdrawn: string[] = [];
    let refuse = true;
    const admission = {
      async admit(job: { jobId: string; images: number }) {
        asked.push(job);
        if (refuse) throw new Error('over the limit');
        return { withdraw: async () => void withdrawn.push(job.jobId) };
      },
    };
    const edit: ImageRequest = { operation: 'edit', entry: entries['gpt-image-1'], params: paramsFor('gpt-image-1', { n: 3 }), prompt: 'p', images: [{ bytes: Buffer.from('a'), contentType: 'image/png' }] };
    await expect(submissions.submit(edit, { ...ctx, admission }, { kind: 'async' })).rejects.toThrow('over the limit');
    expect(asked).toEqual([{ jobId: expect.stringMatching(/^imgjob_/), images: 3 }]);
    expect(gateway.records).toEqual([]);
    expect((await storage.list('jobs/', { limit: 10 })).objects).toEqual([]);

    refuse = false;
    gateway.failNextEnqueue(new Error('Redis is down'));
    await expect(submissions.submit(edit, { ...ctx, admission }, { kind: 'async' })).rejects.toThrow('Redis is down');
    expect(withdrawn).toEqual([asked[1]!.jobId]);

    const keyed = { ...ctx, admission, idempotencyKey: 'once' };
    await submissions.submit(generation(), keyed, { kind: 'async' });
    await submissions.submit(generation(), keyed, { kind: 'async' });
    expect(asked).toHaveLength(3);
    expect(gateway.records).toHaveLength(1);
  });

  it.each([
    ['fails', (id: string) => gateway.fail(id, 'engine exploded'), 500, 'job_failed', /failed: engine exploded/],
    ['is cancelled', (id: string) => void gateway.cancel(id), 409, 'job_cancelled', /was cancelled/],
    ['outlives the API process', () => gateway.closeWaiters(), 503, 'server_shutting_down', /restarting/],
  ])('answers a sync caller whose job %s with an error naming the job', async (_what, end, status, code, message) => {
    const pending = submissions.submit(generation(), ctx, SYNC);
    await tick();
    const jobId = gateway.records[0]!.id;
    end(jobId);

    const error = await apiErrorOf(pending);
    expect({ status: error.status, code: error.code }).toEqual({ status, code });
    expect(error.message).toMatch(message);
    expect(error.message).toContain(jobId);
    expect(error.headers).toEqual({ 'x-job-id': jobId, 'x-should-retry': 'false' });
  });

  it('times out a sync wait with 504 naming the job, and turns a Prefer: wait that runs out into 202', async () => {
    const error = await apiErrorOf(submissions.submit(generation(), ctx, { kind: 'sync', timeoutMs: 20 }));
    expect({ status: error.status, code: error.code }).toEqual({ status: 504, code: 'job_timeout' });
    expect(await submissions.submit(generation(), ctx, { kind: 'wait', timeoutMs: 20 })).toMatchObject({ kind: 'accepted' });
    expect(gateway.waiting).toBe(0);
  });

  it('answers a retried Idempotency-Key from the first job, and refuses it for another kind of request', async () => {
    const keyed = { ...ctx, idempotencyKey: 'retry-1' };
    const first = submissions.submit(generation(), keyed, SYNC);
    await tick();
    await finish(gateway.records[0]!.id);
    const again = await submissions.submit(generation(), keyed, SYNC);

    expect(gateway.records).toHaveLength(1);
    expect(again).toEqual(await first);
    const conflict = await apiErrorOf(
      submissions.submit({ operation: 'variation', entry: entries['dall-e-2'], params: paramsFor('dall-e-2'), image: { key: 'k' } }, keyed, SYNC),
    );
    expect({ status: conflict.status, code: conflict.code }).toEqual({ status: 409, code: 'idempotency_key_reused' });
  });

  it('shows the lane and only the first 16 hex characters of the owner id on the job object', async () => {
    const owner = 'a3f1c9e2b4d60718293a4b5c6d7e8f90112233445566778899aabbccddeeff00';
    const accepted = await submissions.submit(generation(), { ...ctx, owner }, { kind: 'async' });
    const sync = submissions.submit(generation(), { ...ctx, owner }, SYNC);
    await tick();
    const syncId = gateway.records.at(-1)!.id;

    expect(await jobs.get(accepted.jobId, owner)).toMatchObject({ lane: 'async', owner: 'a3f1c9e2b4d60718' });
    expect(await jobs.get(syncId, owner)).toMatchObject({ lane: 'interactive', owner: 'a3f1c9e2b4d60718' });
    expect(JSON.stringify(await jobs.get(syncId, owner))).not.toContain(owner);
    await finish(syncId);
    await sync;
  });

  it('shows a job only to its owner and refuses to cancel a finished one', async () => {
    const outcome = await submissions.submit(generation(), ctx, { kind: 'async' });
    expect((await apiErrorOf(jobs.get(outcome.jobId, 'owner-b'))).status).toBe(404);
    await finish(outcome.jobId);
    expect(await jobs.get(outcome.jobId, 'owner-a')).toMatchObject({ status: 'succeeded', progress: 100, result: { data: [{ url: expect.any(String) }] } });
    expect((await apiErrorOf(jobs.cancel(outcome.jobId, 'owner-a'))).code).toBe('job_not_cancellable');

    const queued = await submissions.submit(generation(), ctx, { kind: 'async' });
    expect(await jobs.cancel(queued.jobId, 'owner-a')).toMatchObject({ status: 'cancelled', error: { code: 'job_cancelled' } });
  });
});
