/**
 * @jest-environment <rootDir>/packages/engine-onnx/test/fixtures/onnx-test-environment.ts
 */
import type { ImageEngine, RawImage } from '@imageforge/engine-core';
import { createOnnxEngine, type OnnxImageEngine } from '../src/onnx-engine';

/**
 * Opt-in: SD_MODEL_DIR=<optimum SD folder> [ORT_PROVIDER=cuda|tensorrt] [SD_STEPS=4]
 * [SD_GUIDANCE=7.5] [SD_SIZE=512]. Without SD_MODEL_DIR the suite is reported as skipped.
 */
const modelDir = process.env.SD_MODEL_DIR;
const provider = (process.env.ORT_PROVIDER ?? 'cpu') as 'cpu' | 'cuda' | 'tensorrt';
const size = Number(process.env.SD_SIZE ?? 512);
const describeWithModel = modelDir ? describe : describe.skip;

/** Correlation of each grey pixel with its right neighbour: near 1 for pictures, near 0 for noise. */
function neighbourCorrelation(image: RawImage): number {
  const grey = (x: number, y: number) => {
    const i = (y * image.width + x) * 4;
    return (image.data[i]! + image.data[i + 1]! + image.data[i + 2]!) / 3;
  };
  const a: number[] = [];
  const b: number[] = [];
  for (let y = 0; y < image.height; y++) for (let x = 0; x + 1 < image.width; x++) (a.push(grey(x, y)), b.push(grey(x + 1, y)));
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(a);
  const mb = mean(b);
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < a.length; i++) {
    cov += (a[i]! - ma) * (b[i]! - mb);
    va += (a[i]! - ma) ** 2;
    vb += (b[i]! - mb) ** 2;
  }
  return cov / Math.sqrt(va * vb || 1);
}

describeWithModel(`a real Stable Diffusion folder (SD_MODEL_DIR=${modelDir ?? 'unset: skipped'}) on ${provider}`, () => {
  let engine: OnnxImageEngine;
  const timeout = 600_000;

  beforeAll(async () => {
    engine = createOnnxEngine({
      kind: 'onnx',
      modelDir: modelDir!,
      provider,
      steps: Number(process.env.SD_STEPS ?? 4),
      guidanceScale: Number(process.env.SD_GUIDANCE ?? 7.5),
    });
    await engine.load();
  }, timeout);

  afterAll(async () => engine?.close());

  it('runs on the execution provider it was asked for', () => {
    expect(engine.describe().device).toBe(provider === 'cpu' ? 'cpu' : `${provider}:0`);
  });

  it('generates a picture, not noise', async () => {
    const result = await engine.generate(
      { model: 'sd', n: 1, width: size, height: size, quality: 'standard', background: 'auto', seed: 1, prompt: 'a photo of a red apple on a wooden table', output: { format: 'png' } },
      { signal: new AbortController().signal },
    );
    const image = result.images[0]!;
    const noise: RawImage = { ...image, data: Buffer.from(image.data.map(() => Math.floor(Math.random() * 256))) };
    expect(neighbourCorrelation(noise)).toBeLessThan(0.1);
    expect(neighbourCorrelation(image)).toBeGreaterThan(0.8);
  }, timeout);
});
