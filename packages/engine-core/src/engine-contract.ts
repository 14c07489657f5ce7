import sharp from 'sharp';
import {
  EngineAbortedError,
  isEncodedImage,
  type EngineCommonRequest,
  type EngineProgress,
  type EngineResult,
  type ImageEngine,
  type RawImage,
} from './image-engine';

/**
 * The conformance suite every ImageEngine passes, whatever sits behind it.
 * It uses jest globals, so only test files import it (via `@imageforge/engine-core/testing`).
 */

export interface ImageEngineContractOptions {
  /** Output size asked for in every request; keep it small for real models. */
  width: number;
  height: number;
  /** Images per request. Default 2. */
  n?: number;
  /** Public model id put in the requests. Default `gpt-image-1`. */
  model?: string;
  /** Per-test timeout in ms, for engines slower than jest's default. Default: jest's. */
  timeoutMs?: number;
}

/**
 * Registers the contract tests for an engine. `createEngine` returns an engine
 * that is not loaded yet: the suite calls `load()` once before and `close()` after.
 */
export function describeImageEngineContract(
  name: string,
  createEngine: () => Promise<ImageEngine>,
  options: ImageEngineContractOptions,
): void {
  const { width, height, timeoutMs } = options;
  const n = options.n ?? 2;
  const base: EngineCommonRequest = {
    model: options.model ?? 'gpt-image-1',
    n,
    width,
    height,
    quality: 'low',
    background: 'opaque',
    seed: 1234,
    output: { format: 'png' },
  };
  const run = () => ({ signal: new AbortController().signal });
  const input = patternImage(width, height, 0);
  const other = patternImage(width, height, 97);
  const mask = leftHalfTransparentMask(width, height);

  describe(`${name} honours the ImageEngine contract`, () => {
    let engine: ImageEngine;

    beforeAll(async () => {
      engine = await createEngine();
      await engine.load();
    }, timeoutMs);

    afterAll(async () => {
      await engine?.close();
    }, timeoutMs);

    it('describes itself under its own engine name', () => {
      const description = engine.describe();
      expect(description.engine).toBe(engine.name);
      expect(description.model.length).toBeGreaterThan(0);
      expect(description.device.length).toBeGreaterThan(0);
    });

    it('generates exactly n images of the requested size as RGBA bytes', async () => {
      const result = await engine.generate({ ...base, prompt: 'a lighthouse at dusk' }, run());
      await expectImages(result, n, width, height);
    }, timeoutMs);

    it('reports progress with increasing steps that end at the total', async () => {
      const progress: EngineProgress[] = [];
      await engine.generate(
        { ...base, n: 1, prompt: 'a red bicycle' },
        { signal: new AbortController().signal, onProgress: (p) => progress.push({ ...p }) },
      );
      expect(progress.length).toBeGreaterThan(0);
      const total = progress[0]!.total;
      progress.forEach((p, i) => {
        expect(p.total).toBe(total);
        if (i > 0) expect(p.step).toBeGreaterThan(progress[i - 1]!.step);
      });
      expect(progress.at(-1)!.step).toBe(total);
    }, timeoutMs);

    it.each(['generate', 'edit', 'variation'] as const)(
      'rejects %s with EngineAbortedError when the signal is already aborted',
      async (operation) => {
        const signal = AbortSignal.abort();
        const pending =
          operation === 'generate'
            ? engine.generate({ ...base, prompt: 'never drawn' }, { signal })
            : operation === 'edit'
              ? engine.edit({ ...base, prompt: 'never drawn', images: [input], mask }, { signal })
              : engine.variation({ ...base, image: input }, { signal });
        await expect(pending).rejects.toBeInstanceOf(EngineAbortedError);
      },
      timeoutMs,
    );

    it('edits an image with a mask into n images of the requested size', async () => {
      const result = await engine.edit({ ...base, prompt: 'add a moon', images: [input], mask }, run());
      await expectImages(result, n, width, height);
    }, timeoutMs);

    it('edits several input images without a mask into n images of the requested size', async () => {
      const result = await engine.edit({ ...base, prompt: 'combine them', images: [input, other] }, run());
      await expectImages(result, n, width, height);
    }, timeoutMs);

    it('makes n variations of the requested size', async () => {
      const result = await engine.variation({ ...base, image: input }, run());
      await expectImages(result, n, width, height);
    }, timeoutMs);
  });
}

/** RGBA of exactly the size, or a png (the format asked for) whose header says the size. */
async function expectImages(result: EngineResult, n: number, width: number, height: number): Promise<void> {
  expect(result.images).toHaveLength(n);
  for (const image of result.images) {
    expect(image.width).toBe(width);
    expect(image.height).toBe(height);
    expect(Buffer.isBuffer(image.data)).toBe(true);
    if (isEncodedImage(image)) {
      expect(image.format).toBe('png');
      const metadata = await sharp(image.data).metadata();
      expect({ format: metadata.format, width: metadata.width, height: metadata.height }).toEqual({ format: 'png', width, height });
    } else {
      expect(image.data.length).toBe(width * height * 4);
    }
  }
}

/** An opaque diagonal gradient, shifted by `phase` so two inputs differ. */
export function patternImage(width: number, height: number, phase: number): RawImage {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x * 255) / Math.max(1, width - 1);
      data[i + 1] = (y * 255) / Math.max(1, height - 1);
      data[i + 2] = (x + y + phase) & 0xff;
      data[i + 3] = 255;
    }
  }
  return { data, width, height };
}

/** White mask whose left half has alpha 0: the region an edit repaints. */
export function leftHalfTransparentMask(width: number, height: number): RawImage {
  const data = Buffer.alloc(width * height * 4, 255);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width / 2; x++) data[(y * width + x) * 4 + 3] = 0;
  }
  return { data, width, height };
}
