/**
 * @jest-environment <rootDir>/packages/engine-onnx/test/fixtures/onnx-test-environment.ts
 */
import { EngineAbortedError, type EngineProgress } from '@imageforge/engine-core';
import { join } from 'node:path';
import { SeededNoise } from '../src/noise';
import { type DiffusionRequest, DiffusionPipeline } from '../src/pipeline/diffusion-pipeline';
import { rgbaToPixels } from '../src/pipeline/image-tensors';
import { type LoadedPipeline, loadDiffusionPipeline } from '../src/pipeline/load-pipeline';
import { releaseModelSessions } from '../src/sessions/model-sessions';
import { ClipTokenizer } from '../src/tokenizer';
import { ddimEndpoint, leadingTimesteps, maxAbsDiff, tinyAlphasCumprod } from './fixtures/ddim-closed-form';
import { blockImage, blockMean } from './fixtures/tiny-images';
import { TEXT_GAIN, TINY_HIDDEN, type TinyUNetKind, tinyEmbedding } from './fixtures/tiny-sd-graphs';
import { type TinySdModel, type TinySdModelOptions, writeTinySdModel } from './fixtures/tiny-sd-model';

const alphas = tinyAlphasCumprod();
const LH = 4;
const LW = 3;
const PLANE = LH * LW;
const run = () => ({ signal: new AbortController().signal });

const models: TinySdModel[] = [];
const loaded: LoadedPipeline[] = [];

async function pipelineFor(unet: TinyUNetKind, options: TinySdModelOptions = {}, maxBatch = 4): Promise<LoadedPipeline & { dir: string }> {
  const model = await writeTinySdModel({ unet, ...options });
  models.push(model);
  const pipeline = await loadDiffusionPipeline({ modelDir: model.dir, provider: 'cpu', deviceId: 0, maxBatch });
  loaded.push(pipeline);
  return { ...pipeline, dir: model.dir };
}

afterAll(async () => {
  await Promise.all(loaded.map((l) => releaseModelSessions(l.sessions)));
  await Promise.all(models.map((m) => m.remove()));
});

function request(overrides: Partial<DiffusionRequest> = {}): DiffusionRequest {
  return { prompt: 'a red cat', n: 1, latentHeight: LH, latentWidth: LW, seed: 42, steps: 4, guidanceScale: 1, ...overrides };
}

function initialNoise(seed: number): Float32Array {
  return new SeededNoise(seed).randn(4 * PLANE);
}

function item(latents: { data: Float32Array }, k: number): Float32Array {
  return latents.data.subarray(k * 4 * PLANE, (k + 1) * 4 * PLANE);
}

describe(DiffusionPipeline.name, () => {
  it('follows the closed-form DDIM trajectory of a zero prediction from each image’s seeded noise', async () => {
    const { pipeline } = await pipelineFor('zeros');
    const { latents } = await pipeline.denoise(request({ n: 2, seed: 7 }), run());
    const alphaStart = alphas[leadingTimesteps(4)[0]!]!;
    for (const k of [0, 1]) {
      const expected = Array.from(initialNoise(7 + k), (x) => ddimEndpoint(x, alphaStart, 0));
      expect(maxAbsDiff(item(latents, k), expected)).toBeLessThan(1e-3);
    }
  });

  it('feeds the UNet the scheduler’s latents: an identity prediction follows its closed form', async () => {
    const { pipeline } = await pipelineFor('identity');
    const { latents } = await pipeline.denoise(request({ seed: 3 }), run());
    const ts = leadingTimesteps(4);
    let factor = 1;
    ts.forEach((t, i) => {
      const a = alphas[t]!;
      const next = i + 1 < ts.length ? alphas[ts[i + 1]!]! : 1;
      factor *= (Math.sqrt(next) * (1 - Math.sqrt(1 - a))) / Math.sqrt(a) + Math.sqrt(1 - next);
    });
    const expected = Array.from(initialNoise(3), (x) => x * factor);
    expect(maxAbsDiff(item(latents, 0), expected)).toBeLessThan(1e-3);
  });

  describe('classifier-free guidance', () => {
    let tiny: LoadedPipeline & { dir: string };
    let meanEmbedding: (text: string) => number;
    beforeAll(async () => {
      tiny = await pipelineFor('text');
      const tokenizer = await ClipTokenizer.fromModelDir(join(tiny.dir, 'tokenizer'));
      meanEmbedding = (text) => {
        let sum = 0;
        for (const id of tokenizer.encode(text)) for (let d = 0; d < TINY_HIDDEN; d++) sum += tinyEmbedding(id, d);
        return sum * TEXT_GAIN;
      };
    });

    function expectPrediction(latents: Float32Array, seed: number, eps: number): void {
      const alphaStart = alphas[leadingTimesteps(4)[0]!]!;
      expect(maxAbsDiff(latents, Array.from(initialNoise(seed), (x) => ddimEndpoint(x, alphaStart, eps)))).toBeLessThan(1e-3);
    }

    it('combines uncond and cond halves of one batch as uncond + s·(cond − uncond)', async () => {
      const uncond = meanEmbedding('');
      const cond = meanEmbedding('a red cat');
      expect(Math.abs(cond - uncond)).toBeGreaterThan(0.1);
      const { latents } = await tiny.pipeline.denoise(request({ n: 2, guidanceScale: 5 }), run());
      expectPrediction(item(latents, 0), 42, uncond + 5 * (cond - uncond));
      expectPrediction(item(latents, 1), 43, uncond + 5 * (cond - uncond));
    });

    it('uses the negative prompt as the unconditional half', async () => {
      const uncond = meanEmbedding('dog');
      const cond = meanEmbedding('a red cat');
      const { latents } = await tiny.pipeline.denoise(request({ negativePrompt: 'dog', guidanceScale: 3 }), run());
      expectPrediction(item(latents, 0), 42, uncond + 3 * (cond - uncond));
    });

    it('skips the unconditional half at guidance ≤ 1, so guidance 0 (SD-Turbo) predicts from the prompt alone', async () => {
      const { latents } = await tiny.pipeline.denoise(request({ guidanceScale: 0 }), run());
      expectPrediction(item(latents, 0), 42, meanEmbedding('a red cat'));
    });
  });

  it('re-noises the encoded image to the strength’s first timestep for img2img', async () => {
    const { pipeline } = await pipelineFor('zeros', { scalingFactor: 1 });
    const image = blockImage(LW * 8, LH * 8);
    const progress: EngineProgress[] = [];
    const { latents } = await pipeline.denoise(request({ image: rgbaToPixels(image), strength: 0.5 }), {
      ...run(),
      onProgress: (p) => progress.push(p),
    });
    expect(progress.map((p) => p.step)).toEqual([1, 2]);
    const alphaStart = alphas[leadingTimesteps(4)[2]!]!;
    const noise = initialNoise(42);
    const expected = Array.from(noise, (n, i) => {
      const c = Math.floor(i / PLANE);
      const p = i % PLANE;
      const clean = c < 3 ? blockMean(image, c, p % LW, Math.floor(p / LW)) : 0;
      return ddimEndpoint(Math.sqrt(alphaStart) * clean + Math.sqrt(1 - alphaStart) * n, alphaStart, 0);
    });
    expect(maxAbsDiff(item(latents, 0), expected)).toBeLessThan(1e-3);
  });

  it('keeps the source latents outside the inpainting mask and denoises inside it', async () => {
    const { pipeline } = await pipelineFor('zeros', { scalingFactor: 1 });
    const image = blockImage(LW * 8, LH * 8);
    const mask = new Float32Array(PLANE).map((_, p) => (p % LW === 0 ? 1 : 0));
    const { latents } = await pipeline.denoise(request({ image: rgbaToPixels(image), latentMask: mask }), run());
    const alphaStart = alphas[leadingTimesteps(4)[0]!]!;
    const noise = initialNoise(42);
    const expected = Array.from(noise, (n, i) => {
      const c = Math.floor(i / PLANE);
      const p = i % PLANE;
      if (mask[p]) return ddimEndpoint(n, alphaStart, 0);
      return c < 3 ? blockMean(image, c, p % LW, Math.floor(p / LW)) : 0;
    });
    expect(maxAbsDiff(item(latents, 0), expected)).toBeLessThan(1e-3);
  });

  it('gives a 9-channel inpainting UNet the latent mask and the masked image’s latents', async () => {
    const { pipeline } = await pipelineFor('mask-channels', { inChannels: 9, scalingFactor: 2 });
    const image = blockImage(LW * 8, LH * 8);
    const mask = new Float32Array(PLANE).map((_, p) => (p < LW ? 1 : 0));
    const pixels = rgbaToPixels(image);
    const maskedImage = { data: pixels.data.map((v, i) => (mask[Math.floor((i % (64 * PLANE)) / (8 * LW * 8)) * LW] ? 0 : v)), dims: pixels.dims };
    const { latents } = await pipeline.denoise(request({ image: pixels, latentMask: mask, maskedImage }), run());
    const alphaStart = alphas[leadingTimesteps(4)[0]!]!;
    const expected = Array.from(initialNoise(42), (n, i) => {
      const c = Math.floor(i / PLANE);
      const p = i % PLANE;
      const keptMean = (ch: number) => (mask[p] ? 0 : 2 * blockMean(image, ch, p % LW, Math.floor(p / LW)));
      return ddimEndpoint(n, alphaStart, c === 0 ? mask[p]! : keptMean(c - 1));
    });
    expect(maxAbsDiff(item(latents, 0), expected)).toBeLessThan(1e-3);
  });

  it('gives every image the same result whatever the batch limit, and counts steps over all batches', async () => {
    const big = await pipelineFor('identity', {}, 4);
    const small = await pipelineFor('identity', {}, 1);
    const progress: EngineProgress[] = [];
    const a = await big.pipeline.denoise(request({ n: 3, guidanceScale: 4 }), run());
    const b = await small.pipeline.denoise(request({ n: 3, guidanceScale: 4 }), { ...run(), onProgress: (p) => progress.push(p) });
    expect(maxAbsDiff(a.latents.data, b.latents.data)).toBe(0);
    expect(progress.map((p) => `${p.step}/${p.total}`)).toEqual(Array.from({ length: 12 }, (_, i) => `${i + 1}/12`));
  });

  it('stops between steps once the signal aborts', async () => {
    const { pipeline } = await pipelineFor('zeros');
    const controller = new AbortController();
    const steps: number[] = [];
    const pending = pipeline.denoise(request({ steps: 10 }), {
      signal: controller.signal,
      onProgress: (p) => {
        steps.push(p.step);
        controller.abort();
      },
    });
    await expect(pending).rejects.toBeInstanceOf(EngineAbortedError);
    expect(steps).toEqual([1]);
  });
});
