import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelRegistryEntrySchema } from '@imageforge/contracts';
import { EngineAbortedError, isEncodedImage } from '@imageforge/engine-core';
import { ImageJobResultSchema, inputImageKey, inputMaskKey, PermanentJobError, type ImageJobCatalog, type PartialImage, type JobContext, type JobHandlers } from '@imageforge/jobs';
import { LocalObjectStorage } from '@imageforge/storage';
import { useS3Server } from '@imageforge/testing';
import sharp from 'sharp';
import { createImageJobHandlers, EngineSet } from '../src';

type ImageJobHandlers = JobHandlers<ImageJobCatalog>;
import { decodeRgba, gradientPng, jobBase, leftHalfMaskPng, localBackend, s3Backend, type StorageBackend } from './pipeline-fixtures';

const MAX_INPUT_PIXELS = 4096 * 4096;

const engines = new EngineSet(
  [
    { id: 'gpt-image-1', profile: 'gpt-image' },
    { id: 'dall-e-2', profile: 'dall-e-2' },
    { id: 'dall-e-3', profile: 'dall-e-3' },
    { id: 'slow-model', profile: 'gpt-image', engine: { kind: 'synthetic', delayMsPerImage: 5_000 } },
    { id: 'cached-model', profile: 'gpt-image', engine: { kind: 'synthetic', render: 'cached' } },
    { id: 'steady-model', profile: 'gpt-image', engine: { kind: 'synthetic', delayMsPerImage: 500, steps: 10 } },
  ].map((entry) => ModelRegistryEntrySchema.parse(entry)),
);

beforeAll(() => engines.loadAll());
afterAll(() => engines.closeAll());

function newJobId(): string {
  return `job-${randomUUID()}`;
}

function context(jobId: string, overrides: Partial<JobContext> = {}): JobContext & { progress: number[] } {
  const progress: number[] = [];
  return {
    jobId,
    attempt: 1,
    signal: new AbortController().signal,
    reportProgress: async (percent) => {
      progress.push(percent);
    },
    announcePartialImage: async () => undefined,
    progress,
    ...overrides,
  };
}

const s3 = useS3Server();

describe.each([
  ['a local directory', () => localBackend()],
  ['S3 (s3rver)', () => s3Backend(s3)],
])('image job handlers storing in %s', (_name, makeBackend: () => Promise<StorageBackend>) => {
  let backend: StorageBackend;
  let handlers: ImageJobHandlers;
  const FINISHED_AT = 1_760_000_000_000;

  beforeAll(async () => {
    backend = await makeBackend();
    handlers = createImageJobHandlers({ storage: backend.storage, engines, maxInputPixels: MAX_INPUT_PIXELS, clock: () => FINISHED_AT });
  });
  afterAll(() => backend.dispose());

  it('generates n=3 png images and stores each at its output key with the requested size', async () => {
    const jobId = newJobId();
    const result = await handlers['image.generate']({ ...jobBase({ n: 3, width: 64, height: 48 }), prompt: 'a lighthouse at dusk' }, context(jobId));

    expect(ImageJobResultSchema.parse(result)).toEqual(result);
    expect(result.images.map((image) => image.key)).toEqual([0, 1, 2].map((i) => `jobs/${jobId}/output/${i}.png`));
    expect(await backend.listKeys(`jobs/${jobId}/`)).toEqual(result.images.map((image) => image.key));
    for (const image of result.images) {
      const bytes = await backend.storage.get(image.key);
      const metadata = await sharp(bytes).metadata();
      expect({ format: metadata.format, width: metadata.width, height: metadata.height }).toEqual({ format: 'png', width: 64, height: 48 });
      expect(image).toMatchObject({ contentType: 'image/png', width: 64, height: 48, bytes: bytes.length });
    }
    expect(result.finishedAt).toBe(FINISHED_AT);
  });

  it('stores the previews a stream asks for under the job and announces their keys, in order', async () => {
    const jobId = newJobId();
    const announced: PartialImage[] = [];
    const result = await handlers['image.generate'](
      { ...jobBase({ n: 2, outputFormat: 'webp', stream: true, partialImages: 2 }), prompt: 'a lighthouse at dusk' },
      context(jobId, { announcePartialImage: async (partial) => void announced.push(partial) }),
    );
    expect(announced).toEqual(
      [[0, 0], [0, 1], [1, 0], [1, 1]].map(([imageIndex, partialIndex]) => ({ key: `jobs/${jobId}/partial/${imageIndex}-${partialIndex}.webp`, imageIndex, partialIndex })),
    );
    expect(await backend.listKeys(`jobs/${jobId}/partial/`)).toEqual(announced.map((partial) => partial.key).sort());
    for (const partial of announced) {
      const metadata = await sharp(await backend.storage.get(partial.key)).metadata();
      expect({ format: metadata.format, width: metadata.width, height: metadata.height }).toEqual({ format: 'webp', width: 64, height: 48 });
    }
    expect(result.images).toHaveLength(2);
  });

  it('stores no previews without stream, whatever partialImages says', async () => {
    const jobId = newJobId();
    const announced: PartialImage[] = [];
    await handlers['image.generate']({ ...jobBase({ partialImages: 2 }), prompt: 'a teapot' }, context(jobId, { announcePartialImage: async (p) => void announced.push(p) }));
    expect(announced).toEqual([]);
    expect(await backend.listKeys(`jobs/${jobId}/partial/`)).toEqual([]);
  });

  it('encodes webp and jpeg outputs in the requested format', async () => {
    for (const outputFormat of ['webp', 'jpeg'] as const) {
      const jobId = newJobId();
      const result = await handlers['image.generate'](
        { ...jobBase({ outputFormat, outputCompression: 50, width: 40, height: 40 }), prompt: 'a red bicycle' },
        context(jobId),
      );
      const stored = await backend.storage.head(result.images[0]!.key);
      expect(result.images[0]!.key).toBe(`jobs/${jobId}/output/0.${outputFormat}`);
      expect(stored?.contentType).toBe(`image/${outputFormat}`);
      expect((await sharp(await backend.storage.get(result.images[0]!.key)).metadata()).format).toBe(outputFormat);
    }
  });

  it('reports facts only: token usage for every model family, and no revised prompt the engine did not make', async () => {
    // Which of these a caller sees (usage on GPT models, revised_prompt on dall-e-3) is toImagesResponse's rule.
    const gpt = await handlers['image.generate']({ ...jobBase(), prompt: 'a teapot' }, context(newJobId()));
    expect(gpt.usage?.output_tokens).toBeGreaterThan(0);
    expect(gpt.revisedPrompt).toBeUndefined();

    const dalle3 = await handlers['image.generate'](
      { ...jobBase({ model: 'dall-e-3', profile: 'dall-e-3', quality: 'standard' }), prompt: 'a teapot' },
      context(newJobId()),
    );
    expect(dalle3.usage?.input_tokens_details.text_tokens).toBeGreaterThan(0);
    expect(dalle3.revisedPrompt).toBeUndefined();
  });

  it('stores an image the engine already encoded in the requested format byte for byte, and re-encodes one in another format', async () => {
    const shape = { model: 'cached-model', width: 40, height: 24 };
    const engine = engines.forModel('cached-model');
    const common = { model: 'cached-model', n: 1, width: 40, height: 24, quality: 'low', background: 'opaque' as const, seed: 1, prompt: 'p' };
    const webp = (await engine.generate({ ...common, output: { format: 'webp', compression: 100 } }, { signal: new AbortController().signal })).images[0]!;
    expect(isEncodedImage(webp)).toBe(true);

    const passed = await handlers['image.generate']({ ...jobBase({ ...shape, outputFormat: 'webp', outputCompression: 100 }), prompt: 'p' }, context(newJobId()));
    expect((await backend.storage.get(passed.images[0]!.key)).equals(webp.data)).toBe(true);
    expect(passed.images[0]).toMatchObject({ contentType: 'image/webp', width: 40, height: 24, bytes: webp.data.length });

    const png = await handlers['image.generate']({ ...jobBase({ ...shape, outputFormat: 'png' }), prompt: 'p' }, context(newJobId()));
    const metadata = await sharp(await backend.storage.get(png.images[0]!.key)).metadata();
    expect({ format: metadata.format, width: metadata.width, height: metadata.height }).toEqual({ format: 'png', width: 40, height: 24 });
  });

  it('changes only the masked region of the edited image', async () => {
    const jobId = newJobId();
    const size = 64;
    const input = await gradientPng(size, size);
    await backend.storage.put(inputImageKey(jobId, 0), input, { contentType: 'image/png' });
    await backend.storage.put(inputMaskKey(jobId), await leftHalfMaskPng(size, size), { contentType: 'image/png' });

    const result = await handlers['image.edit'](
      {
        ...jobBase({ model: 'dall-e-2', profile: 'dall-e-2', width: size, height: size, quality: 'standard' }),
        prompt: 'add a moon',
        imageKeys: [inputImageKey(jobId, 0)],
        maskKey: inputMaskKey(jobId),
      },
      context(jobId),
    );

    const before = await decodeRgba(input);
    const after = await decodeRgba(await backend.storage.get(result.images[0]!.key));
    expect([after.width, after.height]).toEqual([size, size]);
    let changedInMask = 0;
    let changedOutside = 0;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const i = (y * size + x) * 4;
        const changed = before.data.subarray(i, i + 4).compare(after.data.subarray(i, i + 4)) !== 0;
        if (x < size / 2) changedInMask += Number(changed);
        else changedOutside += Number(changed);
      }
    }
    expect(changedOutside).toBe(0);
    expect(changedInMask).toBeGreaterThan((size * size) / 4);
  });

  it('makes variations at the requested size whatever the input size', async () => {
    const jobId = newJobId();
    await backend.storage.put(inputImageKey(jobId, 0), await gradientPng(100, 70), { contentType: 'image/png' });

    const result = await handlers['image.variation'](
      { ...jobBase({ model: 'dall-e-2', profile: 'dall-e-2', n: 2, width: 32, height: 32, quality: 'standard' }), imageKey: inputImageKey(jobId, 0) },
      context(jobId),
    );

    expect(result.images).toHaveLength(2);
    for (const image of result.images) {
      const decoded = await decodeRgba(await backend.storage.get(image.key));
      expect([decoded.width, decoded.height]).toEqual([32, 32]);
    }
  });

  it('overwrites its own objects when a job is retried, leaving exactly n objects with the same bytes', async () => {
    const jobId = newJobId();
    const payload = { ...jobBase({ n: 2 }), prompt: 'a quiet harbour' };
    const first = await handlers['image.generate'](payload, context(jobId));
    const firstBytes = await Promise.all(first.images.map((image) => backend.storage.get(image.key)));

    const retry = await handlers['image.generate'](payload, context(jobId, { attempt: 2 }));

    expect(retry.images.map((image) => image.key)).toEqual(first.images.map((image) => image.key));
    expect(await backend.listKeys(`jobs/${jobId}/output/`)).toEqual(first.images.map((image) => image.key).sort());
    const retryBytes = await Promise.all(retry.images.map((image) => backend.storage.get(image.key)));
    expect(retryBytes.map((bytes, i) => bytes.equals(firstBytes[i]!))).toEqual([true, true]);
  });

  it('reports rising progress within 0-95 during a long inference, leaving 100 to the completion', async () => {
    const ctx = context(newJobId());
    await handlers['image.generate']({ ...jobBase({ model: 'steady-model', n: 2 }), prompt: 'a field of tulips' }, ctx);

    const duringInference = ctx.progress;
    // A second of inference: a report per 250 ms after the first.
    expect(duringInference.length).toBeGreaterThanOrEqual(2);
    duringInference.forEach((percent, i) => {
      expect(percent).toBeLessThanOrEqual(95);
      if (i > 0) expect(percent).toBeGreaterThan(duringInference[i - 1]!);
    });
  });

  it('fails a job whose stored input is corrupt or missing with PermanentJobError', async () => {
    const jobId = newJobId();
    const png = await gradientPng(32, 32);
    await backend.storage.put(inputImageKey(jobId, 0), png.subarray(0, png.length / 2), { contentType: 'image/png' });
    await backend.storage.put(inputImageKey(jobId, 1), Buffer.from('not an image at all'), { contentType: 'image/png' });

    for (const key of [inputImageKey(jobId, 0), inputImageKey(jobId, 1), inputImageKey(jobId, 2)]) {
      const run = handlers['image.variation'](
        { ...jobBase({ model: 'dall-e-2', profile: 'dall-e-2', width: 32, height: 32 }), imageKey: key },
        context(jobId),
      );
      await expect(run).rejects.toBeInstanceOf(PermanentJobError);
    }
    expect(await backend.listKeys(`jobs/${jobId}/output/`)).toEqual([]);
  });

  it('rejects with EngineAbortedError and stores nothing when the run is aborted', async () => {
    const jobId = newJobId();
    const controller = new AbortController();
    const run = handlers['image.generate']({ ...jobBase({ model: 'slow-model' }), prompt: 'never finished' }, context(jobId, { signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);

    const startedAt = Date.now();
    await expect(run).rejects.toBeInstanceOf(EngineAbortedError);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
    expect(await backend.listKeys(`jobs/${jobId}/`)).toEqual([]);
  });
});

describe('image job handlers facing a storage fault', () => {
  it('throw an error the queue retries, not a PermanentJobError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pipeline-broken-'));
    // A root below a regular file can never be created: every write fails as a broken disk would.
    await writeFile(join(dir, 'blocker'), 'x');
    const storage = new LocalObjectStorage({ root: join(dir, 'blocker', 'store'), publicBaseUrl: 'http://127.0.0.1:1', signingSecret: 'local-test-secret-0123456789' });
    const handlers = createImageJobHandlers({ storage, engines, maxInputPixels: MAX_INPUT_PIXELS });
    try {
      const run = handlers['image.generate']({ ...jobBase(), prompt: 'a castle' }, context(newJobId()));
      await expect(run).rejects.toThrow(/ENOTDIR|EEXIST/);
      await expect(run).rejects.not.toBeInstanceOf(PermanentJobError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects a job for a model this worker does not serve', async () => {
    const backend = await localBackend();
    const handlers = createImageJobHandlers({ storage: backend.storage, engines, maxInputPixels: MAX_INPUT_PIXELS });
    try {
      await expect(handlers['image.generate']({ ...jobBase({ model: 'not-here' }), prompt: 'a castle' }, context(newJobId()))).rejects.toThrow(/serves no model "not-here"/);
    } finally {
      await backend.dispose();
    }
  });
});

describe('image job handlers measuring their pace', () => {
  it('record each finished job’s slot time per image for its model, and nothing for a failed one', async () => {
    const backend = await localBackend();
    const recorded: Array<[string, number]> = [];
    const pace = { record: async (model: string, seconds: number) => void recorded.push([model, seconds]), read: async () => new Map<string, number>() };
    let now = 1_760_000_000_000;
    // Each clock read moves 1.5 s: the handler reads it when it begins, when it records, and for finishedAt.
    const clock = () => (now += 1_500);
    const handlers = createImageJobHandlers({ storage: backend.storage, engines, maxInputPixels: MAX_INPUT_PIXELS, pace, clock });
    try {
      await handlers['image.generate']({ ...jobBase({ n: 3 }), prompt: 'a castle' }, context(newJobId()));
      expect(recorded).toEqual([['gpt-image-1', 0.5]]);
      await expect(handlers['image.generate']({ ...jobBase({ model: 'not-here' }), prompt: 'a castle' }, context(newJobId()))).rejects.toThrow();
      expect(recorded).toHaveLength(1);
    } finally {
      await backend.dispose();
    }
  });
});
