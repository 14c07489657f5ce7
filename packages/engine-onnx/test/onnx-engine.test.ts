/**
 * @jest-environment <rootDir>/packages/engine-onnx/test/fixtures/onnx-test-environment.ts
 */
import type { EngineCommonRequest, ImageEngine, RawImage } from '@imageforge/engine-core';
import { describeImageEngineContract } from '@imageforge/engine-core/testing';
import { OnnxImageEngine, createOnnxEngine } from '../src/onnx-engine';
import { ExecutionProviderUnavailableError } from '../src/sessions/execution-provider';
import { blockImage, rectMask } from './fixtures/tiny-images';
import { type TinySdModel, type TinySdModelOptions, writeTinySdModel } from './fixtures/tiny-sd-model';

const models: TinySdModel[] = [];
const engines: ImageEngine[] = [];
const run = () => ({ signal: new AbortController().signal });
const base: EngineCommonRequest = { model: 'sd-tiny', n: 1, width: 32, height: 24, quality: 'standard', background: 'auto', seed: 11, output: { format: 'png' } };

async function modelDir(options: TinySdModelOptions = {}): Promise<string> {
  const model = await writeTinySdModel(options);
  models.push(model);
  return model.dir;
}

async function loadedEngine(options: TinySdModelOptions = {}, config: Record<string, unknown> = {}): Promise<OnnxImageEngine> {
  const engine = createOnnxEngine({ kind: 'onnx', modelDir: await modelDir(options), steps: 3, ...config });
  engines.push(engine);
  await engine.load();
  return engine;
}

afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
  await Promise.all(models.map((m) => m.remove()));
});

function meanAbsDiff(a: RawImage, b: RawImage): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) if (i % 4 !== 3) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / ((a.data.length * 3) / 4);
}

describeImageEngineContract('OnnxImageEngine on a tiny model', async () => createOnnxEngine({ kind: 'onnx', modelDir: await modelDir({ scalingFactor: 8 }), steps: 2 }), {
  width: 32,
  height: 32,
});

describe(OnnxImageEngine.name, () => {
  it('refuses to load when the CUDA provider is missing instead of running on CPU', async () => {
    const engine = createOnnxEngine({ kind: 'onnx', modelDir: await modelDir(), provider: 'cuda' });
    const loading = engine.load();
    await expect(loading).rejects.toBeInstanceOf(ExecutionProviderUnavailableError);
    await expect(loading).rejects.toThrow(/cuda execution provider.*refuses to start.*README/s);
  });

  it('describes the model folder and the execution provider', async () => {
    const engine = await loadedEngine();
    expect(engine.describe()).toEqual({ engine: 'onnx', model: expect.stringContaining('tiny-sd-'), device: 'cpu', exclusive: true });
  });

  it('reproduces an image from the same seed and changes it with another seed', async () => {
    const engine = await loadedEngine({ scalingFactor: 8 });
    const a = await engine.generate({ ...base, prompt: 'a cat' }, run());
    const b = await engine.generate({ ...base, prompt: 'a cat' }, run());
    const c = await engine.generate({ ...base, prompt: 'a cat', seed: 12 }, run());
    expect(a.images[0]!.data.equals(b.images[0]!.data)).toBe(true);
    expect(meanAbsDiff(a.images[0]!, c.images[0]!)).toBeGreaterThan(10);
    expect(a.usage?.input_tokens_details.text_tokens).toBe(4);
  });

  it('runs a fixed-size model at its native size and resizes to the requested size', async () => {
    const engine = await loadedEngine({ nativeLatent: 4 });
    const result = await engine.generate({ ...base, n: 2, width: 40, height: 20, prompt: 'a dog' }, run());
    expect(result.images.map((i) => [i.width, i.height, i.data.length])).toEqual([
      [40, 20, 3200],
      [40, 20, 3200],
    ]);
  });

  it('runs sizes that are not multiples of 8 at the configured native size', async () => {
    const engine = await loadedEngine({}, { nativeSize: 64 });
    const progress: number[] = [];
    const result = await engine.generate({ ...base, width: 30, height: 30, prompt: 'red' }, { ...run(), onProgress: (p) => progress.push(p.step) });
    expect([result.images[0]!.width, result.images[0]!.height]).toEqual([30, 30]);
    expect(progress).toEqual([1, 2, 3]);
  });

  it('repaints only where the mask is transparent: every other pixel is the input’s', async () => {
    const engine = await loadedEngine({ scalingFactor: 8 });
    const image = blockImage(32, 24);
    const mask = rectMask(32, 24, { x: 3, y: 5, w: 10, h: 9 });
    const result = await engine.edit({ ...base, n: 2, prompt: 'a cat', images: [image], mask }, run());
    for (const out of result.images) {
      let repaintedChanged = 0;
      for (let p = 0; p < 32 * 24; p++) {
        const inside = mask.data[p * 4 + 3] === 0;
        const same = [0, 1, 2].every((c) => out.data[p * 4 + c] === image.data[p * 4 + c]);
        if (!inside) expect(same).toBe(true);
        else if (!same) repaintedChanged++;
      }
      expect(repaintedChanged).toBeGreaterThan(0.8 * 90);
    }
  });

  it('uses the first image’s own alpha as the mask when no mask is sent', async () => {
    const engine = await loadedEngine({ inChannels: 9, unet: 'mask-channels', scalingFactor: 8 });
    const image = blockImage(32, 24);
    for (let p = 0; p < 16 * 24; p++) if (p % 32 < 16) image.data[p * 4 + 3] = 0;
    const result = await engine.edit({ ...base, prompt: 'a cat', images: [image] }, run());
    const out = result.images[0]!;
    for (let p = 0; p < 32 * 24; p++) {
      if (image.data[p * 4 + 3] !== 0) expect([0, 1, 2].map((c) => out.data[p * 4 + c])).toEqual([0, 1, 2].map((c) => image.data[p * 4 + c]));
    }
  });

  it('keeps variations closer to the input the lower the strength', async () => {
    const image = blockImage(32, 24);
    const low = await loadedEngine({ scalingFactor: 8 }, { strength: 0.1, steps: 10 });
    const high = await loadedEngine({ scalingFactor: 8 }, { strength: 0.9, steps: 10 });
    const near = await low.variation({ ...base, image }, run());
    const far = await high.variation({ ...base, image }, run());
    expect(meanAbsDiff(near.images[0]!, image)).toBeLessThan(3);
    expect(meanAbsDiff(far.images[0]!, image)).toBeGreaterThan(5 * Math.max(1, meanAbsDiff(near.images[0]!, image)));
  });

  it.each([
    ['fp16 weights, int32 ids, int64 timesteps and external data', { dtypes: { float: 'float16', ids: 'int32', timestep: 'int64' }, externalData: true }],
    ['an fp16 timestep of fixed length 1 and an older latent_sample encoder', { dtypes: { float: 'float16', timestep: 'float16' }, timestepDims: [1], encoderOutput: 'latent_sample' }],
    ['int64 ids, a float32 timestep and a scalar timestep', { dtypes: { ids: 'int64', timestep: 'float' }, timestepDims: [] }],
  ] as Array<[string, TinySdModelOptions]>)('feeds a model with %s the dtypes it declares', async (_, variant) => {
    const reference = await loadedEngine({ unet: 'text', scalingFactor: 8 }, { guidanceScale: 3 });
    const engine = await loadedEngine({ unet: 'text', scalingFactor: 8, ...variant }, { guidanceScale: 3 });
    const request = { ...base, prompt: 'a red dog' };
    const expected = await reference.generate(request, run());
    const actual = await engine.generate(request, run());
    expect(meanAbsDiff(actual.images[0]!, expected.images[0]!)).toBeLessThan(1.5);
    const edited = await engine.edit({ ...request, images: [blockImage(32, 24)], mask: rectMask(32, 24, { x: 0, y: 0, w: 8, h: 8 }) }, run());
    expect(edited.images).toHaveLength(1);
  });
});
