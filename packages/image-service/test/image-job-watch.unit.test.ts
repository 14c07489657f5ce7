import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelRegistryEntrySchema } from '@imageforge/contracts';
import { imageJobCatalog, type ImageJobCatalog, type JobEvent, type JobEventListener, type JobEventSource } from '@imageforge/jobs';
import { LocalObjectStorage } from '@imageforge/storage';
import { dallE2Params, InMemoryJobGateway } from '@imageforge/testing';
import { ImageJobQueryService, ImageJobWatchService, ImageSubmissionService, type ImageJobFrame, type ImageRequest } from '../src';

const entry = ModelRegistryEntrySchema.parse({ id: 'dall-e-2', profile: 'dall-e-2' });
const generation: ImageRequest = {
  operation: 'generation',
  entry,
  prompt: 'a lighthouse',
  params: dallE2Params(),
};
const ctx = { requestId: 'req_1', owner: 'owner-a' };

/** Per-job routing as QueueJobEvents does it, with the test emitting (or withholding) events. */
class HandEvents implements Pick<JobEventSource, 'subscribeJob'> {
  readonly byJob = new Map<string, Set<JobEventListener>>();
  subscribeJob(jobId: string, listener: JobEventListener): () => void {
    const set = this.byJob.get(jobId) ?? new Set();
    this.byJob.set(jobId, set.add(listener));
    return () => void set.delete(listener);
  }
  emit(event: JobEvent): void {
    for (const listener of this.byJob.get(event.jobId) ?? []) listener(event);
  }
  listening(jobId: string): number {
    return this.byJob.get(jobId)?.size ?? 0;
  }
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!check()) throw new Error('condition not met');
};

describe('ImageJobWatchService', () => {
  let dir: string;
  let storage: LocalObjectStorage;
  let gateway: InMemoryJobGateway<ImageJobCatalog>;
  let submissions: ImageSubmissionService;
  let jobs: ImageJobQueryService;
  let events: HandEvents;
  let watches: ImageJobWatchService;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'job-watch-'));
    storage = new LocalObjectStorage({ root: dir, publicBaseUrl: 'http://127.0.0.1:1/objects', signingSecret: 'unit-test-secret-0123' });
    gateway = new InMemoryJobGateway(imageJobCatalog);
    submissions = new ImageSubmissionService({ gateway, storage, urlTtlSeconds: 60 });
    jobs = new ImageJobQueryService({ gateway, storage, urlTtlSeconds: 60 });
    events = new HandEvents();
    watches = new ImageJobWatchService({ jobs, events, storage, urlTtlSeconds: 60, recheckMs: 30 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const submit = async () => {
    const outcome = await submissions.submit(generation, ctx, { kind: 'async' });
    if (outcome.kind !== 'accepted') throw new Error('expected an accepted job');
    return outcome.jobId;
  };
  const complete = async (jobId: string) => {
    const key = `jobs/${jobId}/output/0.png`;
    await storage.put(key, Buffer.from('png bytes'), { contentType: 'image/png' });
    gateway.complete(jobId, { images: [{ key, contentType: 'image/png', width: 256, height: 256, bytes: 9 }], finishedAt: Date.now() });
  };
  const watch = (jobId: string, partialImages = false, signal = new AbortController().signal) => {
    const frames: ImageJobFrame[] = [];
    const done = watches.watch({ jobId, owner: ctx.owner, partialImages, signal, send: async (frame) => void frames.push(frame) });
    return { frames, done };
  };

  it('puts each queued job’s place in line on the job object', async () => {
    const first = await submit();
    const second = await submit();
    expect((await jobs.get(first, ctx.owner)).queue_position).toBe(0);
    expect((await jobs.get(second, ctx.owner)).queue_position).toBe(1);
    gateway.start(first);
    expect((await jobs.get(first, ctx.owner)).queue_position).toBeNull();
    expect((await jobs.get(second, ctx.owner)).queue_position).toBe(0);
  });

  it('forwards progress, sends previews only on request as signed links, and ends with the job object', async () => {
    const jobId = await submit();
    const plain = watch(jobId);
    const withPartials = watch(jobId, true);
    await until(() => plain.frames.length === 1 && withPartials.frames.length === 1);
    expect(plain.frames[0]).toMatchObject({ event: 'queued', data: { id: jobId, status: 'queued', queue_position: 0 } });

    gateway.start(jobId);
    events.emit({ type: 'started', queue: 'images', jobId });
    events.emit({ type: 'progress', queue: 'images', jobId, progress: 40 });
    events.emit({ type: 'partial_image', queue: 'images', jobId, partial: { key: `jobs/${jobId}/partial/0-0.png`, imageIndex: 0, partialIndex: 0 } });
    await until(() => withPartials.frames.length === 4);
    await complete(jobId);
    events.emit({ type: 'completed', queue: 'images', jobId, returnvalue: null });
    await Promise.all([plain.done, withPartials.done]);

    expect(plain.frames.map((frame) => frame.event)).toEqual(['queued', 'started', 'progress', 'completed']);
    expect(plain.frames[1]!.data).toMatchObject({ status: 'in_progress', queue_position: null });
    expect(plain.frames[2]!.data).toEqual({ id: jobId, progress: 40 });
    expect(withPartials.frames[3]).toEqual({
      event: 'partial_image',
      data: { id: jobId, image_index: 0, partial_index: 0, url: expect.stringContaining(`/objects/jobs/${jobId}/partial/0-0.png`) },
    });
    expect(plain.frames.at(-1)!.data).toEqual(await jobs.get(jobId, ctx.owner));
    expect(events.listening(jobId)).toBe(0);
  });

  it('ends with the final frame from the record when the ending event never arrives', async () => {
    const jobId = await submit();
    const { frames, done } = watch(jobId);
    await until(() => frames.length === 1);
    gateway.start(jobId);
    await complete(jobId);
    await done;
    expect(frames.map((frame) => frame.event)).toEqual(['queued', 'completed']);
    expect(frames[1]!.data).toMatchObject({ status: 'succeeded', progress: 100 });
  });

  it('answers a finished job with its final frame at once', async () => {
    const jobId = await submit();
    await gateway.cancel(jobId);
    const { frames, done } = watch(jobId);
    await done;
    expect(frames).toEqual([{ event: 'cancelled', data: await jobs.get(jobId, ctx.owner) }]);
    expect(events.listening(jobId)).toBe(0);
  });

  it('stops and unsubscribes when the reader hangs up, leaving the job as it was', async () => {
    const jobId = await submit();
    const hangup = new AbortController();
    const { frames, done } = watch(jobId, false, hangup.signal);
    await until(() => frames.length === 1);
    hangup.abort();
    await done;
    expect(events.listening(jobId)).toBe(0);
    expect((await gateway.read(jobId))!.status).toBe('queued');
  });

  it('rejects another owner’s job with the 404 before sending anything', async () => {
    const jobId = await submit();
    const frames: ImageJobFrame[] = [];
    const watching = watches.watch({ jobId, owner: 'owner-b', partialImages: false, signal: new AbortController().signal, send: async (frame) => void frames.push(frame) });
    await expect(watching).rejects.toMatchObject({ status: 404, code: 'job_not_found' });
    expect(frames).toEqual([]);
    expect(events.listening(jobId)).toBe(0);
  });
});
