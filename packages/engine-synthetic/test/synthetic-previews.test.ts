import { isEncodedImage, type EngineImage, type EnginePreview, type GenerateRequest, type RawImage } from '@imageforge/engine-core';
import { patternImage } from '@imageforge/engine-core/testing';
import { SyntheticEngine } from '../src';
import { pixelate } from '../src/preview-pixelator';

const base: GenerateRequest = {
  model: 'gpt-image-1',
  n: 1,
  width: 128,
  height: 96,
  quality: 'medium',
  background: 'opaque',
  seed: 11,
  prompt: 'a lighthouse at dusk',
  output: { format: 'png' },
};

function rgba(image: EngineImage | undefined): RawImage {
  if (!image || isEncodedImage(image)) throw new Error('expected an RGBA image');
  return image;
}

/** Horizontally adjacent pixel pairs that differ: fewer means less detail. */
function detail(image: RawImage): number {
  let changes = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 1; x < image.width; x++) {
      const i = (y * image.width + x) * 4;
      if (image.data.readUInt32LE(i) !== image.data.readUInt32LE(i - 4)) changes++;
    }
  }
  return changes;
}

async function generateWithPreviews(engine: SyntheticEngine, request: GenerateRequest) {
  const previews: EnginePreview[] = [];
  const order: string[] = [];
  const result = await engine.generate(request, {
    signal: new AbortController().signal,
    onProgress: ({ step }) => order.push(`step ${step}`),
    onPreview: async (preview) => {
      previews.push(preview);
      order.push(`preview ${preview.imageIndex}.${preview.partialIndex}`);
    },
  });
  return { result, previews, order };
}

describe('synthetic engine previews', () => {
  it('sends the asked previews per image, in order, before each image is done, coarsest first', async () => {
    const engine = new SyntheticEngine({ delayMsPerImage: 40, steps: 4 });
    const { result, previews, order } = await generateWithPreviews(engine, { ...base, n: 2, partialImages: 3 });
    expect(previews.map((p) => [p.imageIndex, p.partialIndex])).toEqual([[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
    // Previews of image 0 come before its last step (4), those of image 1 before step 8.
    expect(order.indexOf('preview 0.2')).toBeLessThan(order.indexOf('step 4'));
    expect(order.indexOf('preview 1.0')).toBeGreaterThan(order.indexOf('step 4'));
    expect(order.indexOf('preview 1.2')).toBeLessThan(order.indexOf('step 8'));
    for (const imageIndex of [0, 1]) {
      const final = rgba(result.images[imageIndex]);
      const details = previews.filter((p) => p.imageIndex === imageIndex).map((p) => detail(rgba(p.image)));
      for (const p of previews) expect([rgba(p.image).width, rgba(p.image).height]).toEqual([base.width, base.height]);
      expect(details[0]!).toBeLessThan(details[1]!);
      expect(details[1]!).toBeLessThan(details[2]!);
      expect(details[2]!).toBeLessThan(detail(final));
    }
  });

  it('leaves the final image as it is without previews', async () => {
    const engine = new SyntheticEngine();
    const plain = rgba((await engine.generate(base, { signal: new AbortController().signal })).images[0]);
    const { result } = await generateWithPreviews(engine, { ...base, partialImages: 2 });
    expect(rgba(result.images[0]).data.equals(plain.data)).toBe(true);
  });

  it('sends none when none are asked, or when nobody listens', async () => {
    const engine = new SyntheticEngine();
    expect((await generateWithPreviews(engine, { ...base, partialImages: 0 })).previews).toHaveLength(0);
    await expect(engine.generate({ ...base, partialImages: 2 }, { signal: new AbortController().signal })).resolves.toBeDefined();
  });

  it('previews edits too', async () => {
    const engine = new SyntheticEngine();
    const previews: EnginePreview[] = [];
    const image = patternImage(base.width, base.height, 0);
    await engine.edit({ ...base, images: [image], partialImages: 1 }, { signal: new AbortController().signal, onPreview: async (p) => void previews.push(p) });
    expect(previews.map((p) => p.partialIndex)).toEqual([0]);
  });

  it('pixelates to block averages', () => {
    const image: RawImage = { width: 2, height: 1, data: Buffer.from([0, 0, 0, 255, 100, 200, 50, 255]) };
    expect([...pixelate(image, 2).data]).toEqual([50, 100, 25, 255, 50, 100, 25, 255]);
  });
});
