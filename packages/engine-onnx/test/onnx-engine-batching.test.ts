/**
 * @jest-environment <rootDir>/packages/engine-onnx/test/fixtures/onnx-test-environment.ts
 */
import { EngineAbortedError, type EngineBatchRun, type EnginePreview, type EngineResult, type GenerateRequest } from '@imageforge/engine-core';
import { type OnnxImageEngine, createOnnxEngine } from '../src/onnx-engine';
import type { PipelineTimingHook } from '../src/pipeline/pipeline-timing';
import { writeConvUNet } from './fixtures/conv-unet';
import { type TinySdModel, writeTinySdModel } from './fixtures/tiny-sd-model';

const models: TinySdModel[] = [];
const engines: OnnxImageEngine[] = [];
const STEPS = 4;

class UNetCalls implements PipelineTimingHook {
  /** Batch rows are not in the hook; calls are. */
  count = 0;
  record(kind: string, phase: string): void {
    if (kind === 'onnx' && phase === 'unet') this.count += 1;
  }
}

async function convEngine(config: Record<string, unknown> = {}): Promise<{ engine: OnnxImageEngine; calls: UNetCalls }> {
  const model = await writeTinySdModel({ scalingFactor: 8, previewDecoder: 'taesd_decoder' });
  models.push(model);
  await writeConvUNet(model.dir, 32);
  const calls = new UNetCalls();
  const engine = createOnnxEngine({ kind: 'onnx', modelDir: model.dir, steps: STEPS, guidanceScale: 7.5, maxBatch: 4, ...config }, { timing: calls });
  engines.push(engine);
  await engine.load();
  return { engine, calls };
}

afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
  await Promise.all(models.map((m) => m.remove()));
});

const request = (prompt: string, seed: number, n: number, size = 64): GenerateRequest => ({
  model: 'sd-tiny',
  prompt,
  n,
  width: size,
  height: size,
  quality: 'standard',
  background: 'auto',
  seed,
  output: { format: 'png' },
});

const run = (req: GenerateRequest, extra: Partial<EngineBatchRun['options']> = {}): EngineBatchRun => ({
  request: req,
  options: { signal: new AbortController().signal, ...extra },
});

function images(result: EngineResult | Error | undefined): Buffer[] {
  if (!result || result instanceof Error) throw result ?? new Error('no result');
  return result.images.map((image) => image.data);
}

describe('OnnxImageEngine batching', () => {
  const schedulers = [
    ['ddim', {}],
    // Ancestral steps draw fresh noise each step: each image must keep drawing from its own seed.
    ['euler_a', { scheduler: 'euler_a' }],
  ] as const;

  it.each(schedulers)('gives each job of a shared batch, bit for bit, the images it gets alone (%s)', async (_name, config) => {
    const { engine, calls } = await convEngine(config);
    const a = request('a red cat', 3, 2);
    const b = request('a blue dog', 9, 1);
    const aloneA = images(await engine.generate(a, run(a).options));
    const aloneB = images(await engine.generate(b, run(b).options));
    calls.count = 0;
    const [sharedA, sharedB] = await engine.batching.generateMany([run(a), run(b)]);
    expect(calls.count).toBe(STEPS);
    expect(images(sharedA)).toEqual(aloneA);
    expect(images(sharedB)).toEqual(aloneB);
    // The prompts and seeds matter, so equal images are not a degenerate model's.
    expect(aloneA[0]!.equals(aloneA[1]!)).toBe(false);
    expect(aloneA[0]!.equals(aloneB[0]!)).toBe(false);
  });

  it('chunks by maxBatch images and still keeps every job bit for bit', async () => {
    const { engine, calls } = await convEngine({ maxBatch: 2 });
    const a = request('a red cat', 3, 3);
    const b = request('a red cat', 4, 1);
    const aloneA = images(await engine.generate(a, run(a).options));
    const aloneB = images(await engine.generate(b, run(b).options));
    calls.count = 0;
    const [sharedA, sharedB] = await engine.batching.generateMany([run(a), run(b)]);
    // Four images in chunks of two: two passes of the schedule.
    expect(calls.count).toBe(2 * STEPS);
    expect(images(sharedA)).toEqual(aloneA);
    expect(images(sharedB)).toEqual(aloneB);
  });

  it('reports progress and previews to each job for its own images', async () => {
    const { engine } = await convEngine();
    const progress: Record<string, Array<[number, number]>> = { a: [], b: [] };
    const previews: Record<string, Array<[number, number]>> = { a: [], b: [] };
    const options = (name: 'a' | 'b') => ({
      onProgress: (p: { step: number; total: number }) => progress[name]!.push([p.step, p.total]),
      onPreview: async (preview: EnginePreview) => {
        previews[name]!.push([preview.imageIndex, preview.partialIndex]);
      },
    });
    const [a, b] = await engine.batching.generateMany([
      run({ ...request('a red cat', 3, 2), partialImages: 1 }, options('a')),
      run(request('a blue dog', 9, 1), options('b')),
    ]);
    expect(images(a)).toHaveLength(2);
    expect(images(b)).toHaveLength(1);
    const steps = Array.from({ length: STEPS }, (_, i) => [i + 1, STEPS]);
    expect(progress).toEqual({ a: steps, b: steps });
    expect(previews).toEqual({ a: [[0, 0], [1, 0]], b: [] });
  });

  it('lets a cancelled job leave at the next step while the others finish as they would alone', async () => {
    const { engine, calls } = await convEngine();
    const b = request('a blue dog', 9, 1);
    const aloneB = images(await engine.generate(b, run(b).options));
    calls.count = 0;
    const cancel = new AbortController();
    const steps: number[] = [];
    const [a, shared] = await engine.batching.generateMany([
      { request: request('a red cat', 3, 2), options: { signal: cancel.signal, onProgress: (p) => (steps.push(p.step), p.step === 2 && cancel.abort()) } },
      run(b),
    ]);
    expect(a).toBeInstanceOf(EngineAbortedError);
    expect(steps).toEqual([1, 2]);
    expect(images(shared)).toEqual(aloneB);
    expect(calls.count).toBe(STEPS);
  });

  it('fails only the job whose progress callback throws', async () => {
    const { engine } = await convEngine();
    const [a, b] = await engine.batching.generateMany([
      run(request('a red cat', 3, 1), {
        onProgress: () => {
          throw new Error('progress store down');
        },
      }),
      run(request('a blue dog', 9, 1)),
    ]);
    expect(a).toEqual(new Error('progress store down'));
    expect(images(b)).toHaveLength(1);
  });

  it('keys requests by run size and guidance, and keeps inpainting UNets out of batches', async () => {
    const { engine } = await convEngine();
    const key = (req: GenerateRequest) => engine.batching.keyOf(req);
    expect(key(request('a red cat', 1, 1))).toBe(key(request('a blue dog', 2, 3)));
    expect(key(request('a red cat', 1, 1, 32))).not.toBe(key(request('a red cat', 1, 1, 64)));
    // An empty prompt runs without guidance: another UNet batch layout.
    expect(key(request('', 1, 1))).not.toBe(key(request('a red cat', 1, 1)));
    const inpainting = await writeTinySdModel({ scalingFactor: 8, inChannels: 9 });
    models.push(inpainting);
    const other = createOnnxEngine({ kind: 'onnx', modelDir: inpainting.dir, steps: STEPS });
    engines.push(other);
    await other.load();
    expect(other.batching.keyOf(request('a red cat', 1, 1))).toBeNull();
  });

  it('refuses to share a pass between requests of different sizes', async () => {
    const { engine } = await convEngine();
    await expect(engine.batching.generateMany([run(request('a', 1, 1, 32)), run(request('b', 1, 1, 64))])).rejects.toThrow(/one size/);
  });
});
