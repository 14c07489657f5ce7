/**
 * @jest-environment <rootDir>/packages/engine-onnx/test/fixtures/onnx-test-environment.ts
 */
import { ModelRegistry, ModelRegistryEntrySchema } from '@imageforge/contracts';
import { EngineAbortedError, type EngineResult, type GenerateRequest, type ImageEngine } from '@imageforge/engine-core';
import { createOnnxEngine, type OnnxEngineConfigInput } from '@imageforge/engine-onnx';
import { writeConvUNet } from '../../engine-onnx/test/fixtures/conv-unet';
import { type TinySdModel, writeTinySdModel } from '../../engine-onnx/test/fixtures/tiny-sd-model';
import { EngineSet } from '../src';

const STEPS = 3;
let model: TinySdModel;
const sets: EngineSet[] = [];

beforeAll(async () => {
  model = await writeTinySdModel({ scalingFactor: 8 });
  await writeConvUNet(model.dir, 16, 0.01);
});

afterAll(async () => {
  await Promise.all(sets.map((set) => set.closeAll()));
  await model.remove();
});

/**
 * A worker's engines over the tiny model, counting UNet calls through the pipeline's timing hook.
 * `fitsImages`: the device has memory for that many images in one shared run; more fail as ONNX
 * Runtime reports an allocation failure.
 */
async function engines(batchWindowMs: number, maxBatch = 4, fitsImages = Infinity): Promise<{ set: EngineSet; unetCalls: () => number; sharedRuns: number[] }> {
  let calls = 0;
  const sharedRuns: number[] = [];
  const timing = { record: (kind: string, phase: string) => void (kind === 'onnx' && phase === 'unet' && (calls += 1)) };
  const entry = ModelRegistryEntrySchema.parse({
    id: 'tiny-sd',
    profile: 'dall-e-2',
    engine: { kind: 'onnx', modelDir: model.dir, steps: STEPS, guidanceScale: 5, maxBatch },
  });
  const limited = (engine: ImageEngine): ImageEngine => {
    const batching = engine.batching!;
    return {
      name: engine.name,
      load: () => engine.load(),
      close: () => engine.close(),
      describe: () => engine.describe(),
      generate: (r, o) => engine.generate(r, o),
      edit: (r, o) => engine.edit(r, o),
      variation: (r, o) => engine.variation(r, o),
      batching: {
        maxBatch: batching.maxBatch,
        keyOf: (r) => batching.keyOf(r),
        generateMany: async (runs) => {
          const images = runs.reduce((sum, run) => sum + run.request.n, 0);
          sharedRuns.push(images);
          if (images > fitsImages) throw new Error('[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Failed to allocate memory for requested buffer of size 268435456');
          return batching.generateMany(runs);
        },
      },
    };
  };
  const set = EngineSet.forQueues(new ModelRegistry([entry]), ['images'], async (config) => limited(createOnnxEngine(config as OnnxEngineConfigInput, { timing })), { batchWindowMs });
  sets.push(set);
  await set.loadAll();
  return { set, unetCalls: () => calls, sharedRuns };
}

const request = (seed: number, size = 64, prompt = `prompt ${seed}`): GenerateRequest => ({
  model: 'tiny-sd',
  prompt,
  n: 1,
  width: size,
  height: size,
  quality: 'standard',
  background: 'auto',
  seed,
  output: { format: 'png' },
});

const pixels = (result: EngineResult) => result.images.map((image) => image.data);
const free = () => ({ signal: new AbortController().signal });

/** What each request gives on a worker that never batches. */
async function alone(requests: GenerateRequest[]): Promise<Buffer[][]> {
  const { set } = await engines(0);
  const out: Buffer[][] = [];
  for (const r of requests) out.push(pixels(await set.forModel('tiny-sd').generate(r, free())));
  return out;
}

describe('batching at the device lock', () => {
  it('runs generations that arrive within the window as one UNet pass per step, each with its own images', async () => {
    const requests = [request(1), request(2), request(3, 64, 'prompt 1'), request(4)];
    const expected = await alone(requests);
    const { set, unetCalls } = await engines(50);
    const engine = set.forModel('tiny-sd');
    const results = await Promise.all(requests.map((r) => engine.generate(r, free())));
    expect(unetCalls()).toBe(STEPS);
    expect(set.deviceLocks().get('cpu')!.runs).toBe(1);
    expect(results.map(pixels)).toEqual(expected);
  });

  it('keeps different keys apart: the device, once free, takes every waiting call of the next key', async () => {
    const requests = [request(1, 64), request(2, 32), request(3, 64), request(4, 32), request(5, 32)];
    const expected = await alone(requests);
    const { set, unetCalls } = await engines(50);
    const engine = set.forModel('tiny-sd');
    const results = await Promise.all(requests.map((r) => engine.generate(r, free())));
    // 64 px: the first call and the third, joined in the window; 32 px: the second, taking the others from the line.
    expect(set.deviceLocks().get('cpu')!.runs).toBe(2);
    expect(unetCalls()).toBe(2 * STEPS);
    expect(results.map(pixels)).toEqual(expected);
  });

  it('fills a batch up to maxBatch images and leaves the rest for the next turn', async () => {
    const requests = [request(1), { ...request(2), n: 2 }, request(3), request(4)];
    const expected = await alone(requests);
    const { set, unetCalls } = await engines(1000, 3);
    const engine = set.forModel('tiny-sd');
    const results = await Promise.all(requests.map((r) => engine.generate(r, free())));
    // 1 + 2 images fill the first batch at once (no waiting out the 1 s window); 3 and 4 share the next.
    expect(set.deviceLocks().get('cpu')!.runs).toBe(2);
    expect(unetCalls()).toBe(2 * STEPS);
    expect(results.map(pixels)).toEqual(expected);
  });

  it('lets a cancelled job leave its batch without failing the others', async () => {
    const requests = [request(1), request(2), request(3)];
    const expected = await alone(requests);
    const { set } = await engines(50);
    const engine = set.forModel('tiny-sd');
    const running = new AbortController();
    const waiting = new AbortController();
    const results = Promise.allSettled([
      engine.generate(requests[0]!, { signal: running.signal, onProgress: (p) => p.step === 1 && running.abort() }),
      engine.generate(requests[1]!, free()),
      engine.generate(requests[2]!, { signal: waiting.signal }),
    ]);
    // Aborted in the window, before the batch starts.
    waiting.abort();
    const [first, second, third] = await results;
    expect(first).toEqual({ status: 'rejected', reason: new EngineAbortedError() });
    expect(third).toEqual({ status: 'rejected', reason: new EngineAbortedError() });
    expect(second.status === 'fulfilled' && pixels(second.value)).toEqual(expected[1]);
  });

  it('splits a batch the device has no memory for into halves, each job still getting its own images', async () => {
    const requests = [request(1), request(2), request(3), request(4)];
    const expected = await alone(requests);
    const { set, sharedRuns } = await engines(50, 4, 2);
    const engine = set.forModel('tiny-sd');
    const results = await Promise.all(requests.map((r) => engine.generate(r, free())));
    // Four images did not fit; each half of two did.
    expect(sharedRuns).toEqual([4, 2, 2]);
    expect(results.map(pixels)).toEqual(expected);
  });

  it('runs every call on its own when BATCH_WINDOW_MS is 0', async () => {
    const { set, unetCalls } = await engines(0);
    const engine = set.forModel('tiny-sd');
    await Promise.all([request(1), request(2), request(3)].map((r) => engine.generate(r, free())));
    expect(set.deviceLocks().get('cpu')!.runs).toBe(3);
    expect(unetCalls()).toBe(3 * STEPS);
  });
});
