import sharp from 'sharp';
import { EngineAbortedError, isEncodedImage, type EngineImage, type EngineProgress, type GenerateRequest, type RawImage } from '@imageforge/engine-core';
import { leftHalfTransparentMask, patternImage } from '@imageforge/engine-core/testing';
import { SyntheticEngine } from '../src';

const width = 96;
const height = 64;
const base: GenerateRequest = {
  model: 'gpt-image-1',
  n: 1,
  width,
  height,
  quality: 'medium',
  background: 'opaque',
  seed: 7,
  prompt: 'a tall ship in a storm',
  output: { format: 'png' },
};
const run = () => ({ signal: new AbortController().signal });

/** Procedural rendering returns pixels; anything else is a failure of the test's premise. */
function rgba(image: EngineImage | undefined): RawImage {
  if (!image || isEncodedImage(image)) throw new Error('expected an RGBA image');
  return image;
}

async function generateOne(engine: SyntheticEngine, overrides: Partial<GenerateRequest> = {}): Promise<RawImage> {
  const { images } = await engine.generate({ ...base, ...overrides }, run());
  return rgba(images[0]);
}

function meanAbsoluteRgbDifference(a: RawImage, b: RawImage): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) if (i % 4 !== 3) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / (a.width * a.height * 3);
}

function pixelAt(image: RawImage, index: number): Buffer {
  return image.data.subarray(index * 4, index * 4 + 4);
}

describe(SyntheticEngine.name, () => {
  const engine = new SyntheticEngine();

  it('paints identical pixels for the same seed, prompt and index', async () => {
    expect((await generateOne(engine)).data.equals((await generateOne(engine)).data)).toBe(true);
  });

  it('paints different pictures for another seed, another prompt or another index', async () => {
    const reference = await generateOne(engine);
    const { images } = await engine.generate({ ...base, n: 2 }, run());
    for (const other of [await generateOne(engine, { seed: 8 }), await generateOne(engine, { prompt: 'a quiet harbour' }), rgba(images[1])]) {
      expect(meanAbsoluteRgbDifference(reference, other)).toBeGreaterThan(5);
    }
    expect(images[0]!.data.equals(reference.data)).toBe(true);
  });

  it('paints real content rather than a flat colour', async () => {
    const image = await generateOne(engine);
    const colours = new Set<number>();
    for (let i = 0; i < image.data.length; i += 4) colours.add(image.data.readUInt32BE(i));
    expect(colours.size).toBeGreaterThan(20);
  });

  it('gives a transparent background real alpha and an opaque one none', async () => {
    const alphas = (image: RawImage) => new Set(image.data.filter((_, i) => i % 4 === 3));
    expect(alphas(await generateOne(engine, { background: 'transparent' }))).toEqual(new Set([0, 255]));
    expect(alphas(await generateOne(engine, { background: 'opaque' }))).toEqual(new Set([255]));
  });

  it('changes only the pixels the mask marks transparent', async () => {
    const input = patternImage(width, height, 0);
    const mask = leftHalfTransparentMask(width, height);
    const { images } = await engine.edit({ ...base, images: [input], mask }, run());
    const edited = rgba(images[0]);
    let changed = 0;
    let masked = 0;
    for (let p = 0; p < width * height; p++) {
      if (mask.data[p * 4 + 3] === 0) {
        masked++;
        if (!pixelAt(edited, p).equals(pixelAt(input, p))) changed++;
      } else {
        expect(pixelAt(edited, p)).toEqual(pixelAt(input, p));
      }
    }
    expect(changed).toBeGreaterThan(masked * 0.9);
  });

  it("repaints the first image's own transparent pixels when no mask is given", async () => {
    const input = patternImage(width, height, 0);
    for (let p = 0; p < width * height; p += 3) input.data[p * 4 + 3] = 0;
    const { images } = await engine.edit({ ...base, images: [input] }, run());
    for (let p = 0; p < width * height; p++) {
      if (p % 3 === 0) expect(images[0]!.data[p * 4 + 3]).toBe(255);
      else expect(pixelAt(rgba(images[0]), p)).toEqual(pixelAt(input, p));
    }
  });

  it('lets further input images shape the repainted region', async () => {
    const input = patternImage(width, height, 0);
    const mask = leftHalfTransparentMask(width, height);
    const dark = { data: Buffer.alloc(width * height * 4), width, height };
    const light = { data: Buffer.alloc(width * height * 4, 255), width, height };
    const [withDark, withLight] = await Promise.all(
      [dark, light].map((ref) => engine.edit({ ...base, images: [input, ref], mask }, run())),
    );
    expect(meanAbsoluteRgbDifference(rgba(withDark!.images[0]), rgba(withLight!.images[0]))).toBeGreaterThan(40);
  });

  it('makes variations that follow the input closely, differ from it and from each other', async () => {
    const input = await generateOne(engine, { prompt: 'a lighthouse', seed: 1 });
    const unrelated = await generateOne(engine, { prompt: 'a desert road', seed: 2 });
    const { images } = await engine.variation({ ...base, n: 2, image: input }, run());
    const [first, second] = images.map(rgba) as [RawImage, RawImage];
    const toInput = meanAbsoluteRgbDifference(first, input);
    expect(toInput).toBeGreaterThan(1);
    expect(toInput).toBeLessThan(meanAbsoluteRgbDifference(first, unrelated) / 2);
    expect(first.data.equals(second.data)).toBe(false);
  });

  it('ends a simulated delay as soon as the signal aborts', async () => {
    const slow = new SyntheticEngine({ delayMsPerImage: 10_000 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    await expect(slow.generate(base, { signal: controller.signal })).rejects.toBeInstanceOf(EngineAbortedError);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('spreads progress over steps * n and yields to the event loop between images', async () => {
    const stepped = new SyntheticEngine({ steps: 5 });
    const progress: EngineProgress[] = [];
    let stepsSeenByOtherWork: number | undefined;
    setImmediate(() => (stepsSeenByOtherWork = progress.length));
    await stepped.generate({ ...base, n: 3 }, { signal: new AbortController().signal, onProgress: (p) => progress.push(p) });
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    expect(progress.every((p) => p.total === 15)).toBe(true);
    expect(stepsSeenByOtherWork).toBeLessThan(15);
  });

  it('reports token usage that counts the prompt and the input images, and no revised prompt', async () => {
    const generated = await engine.generate({ ...base, n: 2 }, run());
    const input = patternImage(width, height, 0);
    const edited = await engine.edit({ ...base, images: [input, input] }, run());
    expect(generated.revisedPrompt).toBeUndefined();
    expect(generated.usage?.input_tokens_details).toEqual({ text_tokens: Math.ceil(base.prompt.length / 4), image_tokens: 0 });
    expect(generated.usage!.output_tokens).toBeGreaterThan(0);
    expect(edited.usage!.input_tokens_details.image_tokens).toBeGreaterThan(0);
  });

  it('paints a 1024x1024 picture in a few tens of milliseconds', async () => {
    const big = { ...base, width: 1024, height: 1024 };
    await generateOne(engine, big);
    const started = process.cpuUsage();
    for (let i = 0; i < 3; i++) await generateOne(engine, { ...big, seed: i });
    const { user, system } = process.cpuUsage(started);
    // Generous bound: the target is well under 50 ms, this only catches gross regressions on busy CI.
    expect((user + system) / 1000 / 3).toBeLessThan(150);
  });

  it('refuses input images whose size does not match the request', async () => {
    const small = patternImage(10, 10, 0);
    await expect(engine.variation({ ...base, image: small }, run())).rejects.toBeInstanceOf(RangeError);
  });
});

describe('SyntheticEngine with render: cached', () => {
  const engine = new SyntheticEngine({ render: 'cached' });

  it('answers every request of one shape with the same encoded file, in the requested size and format', async () => {
    const first = await engine.generate({ ...base, n: 2, output: { format: 'webp', compression: 80 } }, run());
    const second = await engine.generate({ ...base, seed: 99, prompt: 'another prompt', output: { format: 'webp', compression: 80 } }, run());

    const [a, b] = first.images;
    expect(a && isEncodedImage(a) && a.format).toBe('webp');
    expect(b?.data).toBe(a?.data);
    expect(second.images[0]?.data).toBe(a?.data);
    const metadata = await sharp(a!.data).metadata();
    expect({ format: metadata.format, width: metadata.width, height: metadata.height }).toEqual({ format: 'webp', width, height });
  });

  it('paints a new picture for another size, format or background', async () => {
    const png = (await engine.generate(base, run())).images[0]!;
    const jpeg = (await engine.generate({ ...base, output: { format: 'jpeg' } }, run())).images[0]!;
    const bigger = (await engine.generate({ ...base, width: 128 }, run())).images[0]!;
    const transparent = (await engine.generate({ ...base, background: 'transparent' }, run())).images[0]!;

    expect(new Set([png.data, jpeg.data, bigger.data, transparent.data]).size).toBe(4);
    expect((await sharp(bigger.data).metadata()).width).toBe(128);
    expect((await sharp(transparent.data).metadata()).hasAlpha).toBe(true);
    expect((await sharp(png.data).metadata()).hasAlpha).toBe(false);
  });

  it('still reports progress and honours the abort signal', async () => {
    const progress: EngineProgress[] = [];
    await engine.generate(base, { signal: new AbortController().signal, onProgress: (p) => progress.push(p) });
    expect(progress.at(-1)).toEqual({ step: 4, total: 4 });
    await expect(engine.generate(base, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(EngineAbortedError);
  });
});
