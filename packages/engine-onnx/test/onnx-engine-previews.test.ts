/**
 * @jest-environment <rootDir>/packages/engine-onnx/test/fixtures/onnx-test-environment.ts
 */
import type { EngineCommonRequest, EnginePreview, EngineRunOptions, RawImage } from '@imageforge/engine-core';
import { type OnnxImageEngine, createOnnxEngine } from '../src/onnx-engine';
import { blockImage, rectMask } from './fixtures/tiny-images';
import { type TinySdModel, type TinySdModelOptions, writeTinySdModel } from './fixtures/tiny-sd-model';

const models: TinySdModel[] = [];
const engines: OnnxImageEngine[] = [];
const base: EngineCommonRequest = { model: 'sd-tiny', n: 1, width: 32, height: 24, quality: 'standard', background: 'auto', seed: 11, output: { format: 'png' } };
const request = { ...base, prompt: 'a cat' };

async function loadedEngine(options: TinySdModelOptions = {}, config: Record<string, unknown> = {}): Promise<OnnxImageEngine> {
  const model = await writeTinySdModel({ scalingFactor: 8, ...options });
  models.push(model);
  const engine = createOnnxEngine({ kind: 'onnx', modelDir: model.dir, steps: 4, ...config });
  engines.push(engine);
  await engine.load();
  return engine;
}

afterAll(async () => {
  await Promise.all(engines.map((e) => e.close()));
  await Promise.all(models.map((m) => m.remove()));
});

interface Seen {
  preview: EnginePreview;
  /** Steps finished when the preview came. */
  step: number;
}

function recording(): { options: EngineRunOptions; seen: Seen[] } {
  const seen: Seen[] = [];
  let step = 0;
  const options: EngineRunOptions = {
    signal: new AbortController().signal,
    onProgress: (p) => (step = p.step),
    onPreview: async (preview) => {
      seen.push({ preview, step });
    },
  };
  return { options, seen };
}

const raw = (preview: EnginePreview) => preview.image as RawImage;

describe('OnnxImageEngine previews', () => {
  it('sends partialImages previews per image, in order, at evenly spaced steps before the last', async () => {
    const engine = await loadedEngine({ unet: 'text' });
    const { options, seen } = recording();
    const result = await engine.generate({ ...request, n: 2, partialImages: 2 }, options);
    // 4 steps, 2 previews: after round(4/3) = 1 and round(8/3) = 3 steps.
    expect(seen.map((s) => [s.preview.imageIndex, s.preview.partialIndex, s.step])).toEqual([
      [0, 0, 1],
      [1, 0, 1],
      [0, 1, 3],
      [1, 1, 3],
    ]);
    for (const { preview } of seen) {
      const image = raw(preview);
      expect(image.kind).not.toBe('encoded');
      // The linear projection's own resolution, the latents' 4x3: the worker scales it to the request's 32x24.
      expect([image.width, image.height, image.data.length]).toEqual([4, 3, 4 * 3 * 4]);
      for (let p = 0; p < 4 * 3; p++) expect(image.data[p * 4 + 3]).toBe(255);
    }
    expect(result.images).toHaveLength(2);
  });

  it('shows the denoised estimate: with a constant ε, DDIM’s x̂0 is the final image at every preview (full VAE decode)', async () => {
    const engine = await loadedEngine({ unet: 'text' }, { previewDecoder: 'vae' });
    const { options, seen } = recording();
    const result = await engine.generate({ ...request, partialImages: 3 }, options);
    expect(seen).toHaveLength(3);
    for (const { preview } of seen) expect(raw(preview).data.equals(result.images[0]!.data)).toBe(true);
  });

  it('numbers images across UNet batches and leaves the result as a run without previews makes it', async () => {
    const engine = await loadedEngine({ unet: 'text' }, { maxBatch: 1 });
    const { options, seen } = recording();
    const withPreviews = await engine.generate({ ...request, n: 2, partialImages: 1 }, options);
    const without = await engine.generate({ ...request, n: 2 }, { signal: new AbortController().signal });
    expect(seen.map((s) => [s.preview.imageIndex, s.preview.partialIndex, s.step])).toEqual([
      [0, 0, 2],
      [1, 0, 6],
    ]);
    withPreviews.images.forEach((image, i) => expect(image.data.equals(without.images[i]!.data)).toBe(true));
  });

  it('sends none when partialImages is 0 or absent, or there is no callback', async () => {
    const engine = await loadedEngine();
    for (const partialImages of [0, undefined]) {
      const { options, seen } = recording();
      await engine.generate({ ...request, partialImages }, options);
      expect(seen).toEqual([]);
    }
    const result = await engine.generate({ ...request, partialImages: 2 }, { signal: new AbortController().signal });
    expect(result.images).toHaveLength(1);
  });

  it('still returns the images when the preview callback fails', async () => {
    const engine = await loadedEngine();
    let calls = 0;
    const result = await engine.generate(
      { ...request, partialImages: 2 },
      {
        signal: new AbortController().signal,
        onPreview: async () => {
          calls++;
          throw new Error('storage is down');
        },
      },
    );
    expect(calls).toBe(2);
    expect(result.images).toHaveLength(1);
  });

  it('keeps the unmasked pixels of an edit in its previews', async () => {
    const engine = await loadedEngine();
    const image = blockImage(32, 24);
    const mask = rectMask(32, 24, { x: 3, y: 5, w: 10, h: 9 });
    const { options, seen } = recording();
    await engine.edit({ ...base, prompt: 'a cat', images: [image], mask, partialImages: 1 }, options);
    expect(seen).toHaveLength(1);
    const preview = raw(seen[0]!.preview);
    for (let p = 0; p < 32 * 24; p++) {
      if (mask.data[p * 4 + 3] !== 0) expect([0, 1, 2].map((c) => preview.data[p * 4 + c])).toEqual([0, 1, 2].map((c) => image.data[p * 4 + c]));
    }
  });

  it.each(['vae_approx', 'taesd_decoder'] as const)('decodes previews with a tiny decoder in %s/ when the folder has one', async (folder) => {
    // Scaling factor 1: the tiny decoder (here the VAE's own graph) and the VAE then see the same latents.
    const tiny = await loadedEngine({ scalingFactor: 1, previewDecoder: folder });
    const vae = await loadedEngine({ scalingFactor: 1 }, { previewDecoder: 'vae' });
    const linear = await loadedEngine({ scalingFactor: 1 });
    const previewsOf = async (engine: OnnxImageEngine) => {
      const { options, seen } = recording();
      await engine.generate({ ...request, partialImages: 2 }, options);
      return seen.map((s) => raw(s.preview).data);
    };
    const [fromTiny, fromVae, fromLinear] = [await previewsOf(tiny), await previewsOf(vae), await previewsOf(linear)];
    expect(fromTiny).toHaveLength(2);
    fromTiny.forEach((data, i) => {
      expect(data.equals(fromVae[i]!)).toBe(true);
      expect(data.equals(fromLinear[i]!)).toBe(false);
    });
  });
});
