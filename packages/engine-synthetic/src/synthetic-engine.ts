import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import {
  EngineAbortedError,
  estimateImageTokenUsage,
  throwIfAborted,
  type EditRequest,
  type EngineCommonRequest,
  type EngineDescription,
  type EngineImage,
  type EngineResult,
  type EngineRunOptions,
  type GenerateRequest,
  type ImageEngine,
  type RawImage,
  type VariationRequest,
} from '@imageforge/engine-core';
import { CachedPictures } from './cached-pictures';
import { compositeEdit } from './edit-compositor';
import { paintPicture } from './procedural-painter';
import { createRandom, hashString, mixSeed } from './seeded-random';
import { paintVariation } from './variation-filter';

export interface SyntheticEngineOptions {
  /**
   * Simulated inference time per image, in ms, spread over the progress steps.
   * Load tests use it to imitate a real model; aborting the signal ends the wait at once.
   * Default 0.
   */
  delayMsPerImage?: number;
  /** Progress steps reported per image. Default 4. */
  steps?: number;
  /**
   * `procedural` (default) paints every image from its seed, prompt and inputs.
   * `cached` paints and encodes one picture per (size, format, background) and
   * returns that file for every later image: the right size and format at almost
   * no CPU, so a load test measures the queue, Redis and storage, not the painter.
   */
  render?: 'procedural' | 'cached';
}

// Distinct streams per operation, so an edit never repeats a generate's picture.
const GENERATE = 1;
const EDIT = 2;
const VARIATION = 3;

/**
 * The engine for development, CI and load tests: not a model. It paints
 * deterministic pictures (gradients and shapes seeded by seed, prompt and image
 * index), edits only the masked region, and derives variations from the input,
 * so every path of the service can be exercised and asserted without weights.
 */
export class SyntheticEngine implements ImageEngine {
  readonly name = 'synthetic';
  private readonly delayMsPerImage: number;
  private readonly steps: number;
  private readonly cached: CachedPictures | undefined;

  constructor(options: SyntheticEngineOptions = {}) {
    this.delayMsPerImage = Math.max(0, options.delayMsPerImage ?? 0);
    this.steps = Math.max(1, Math.floor(options.steps ?? 4));
    this.cached = options.render === 'cached' ? new CachedPictures() : undefined;
  }

  async load(): Promise<void> {}

  async close(): Promise<void> {
    this.cached?.clear();
  }

  describe(): EngineDescription {
    return { engine: this.name, model: this.cached ? 'cached picture per size (no weights)' : 'procedural (no weights)', device: 'cpu' };
  }

  async generate(request: GenerateRequest, options: EngineRunOptions): Promise<EngineResult> {
    const images = await this.run(request, options, (index) =>
      paintPicture(this.paintOptions(request, seedFor(request, GENERATE, index, request.prompt))),
    );
    return { images, usage: estimateImageTokenUsage(request) };
  }

  async edit(request: EditRequest, options: EngineRunOptions): Promise<EngineResult> {
    const [base, ...references] = request.images;
    if (!base) throw new RangeError('edit needs at least one input image');
    for (const image of [...request.images, ...(request.mask ? [request.mask] : [])]) assertSize(image, request);
    const images = await this.run(request, options, (index) =>
      compositeEdit({
        base,
        regionSource: request.mask ?? base,
        painted: paintPicture(this.paintOptions(request, seedFor(request, EDIT, index, request.prompt))),
        references,
        transparent: request.background === 'transparent',
      }),
    );
    return { images, usage: estimateImageTokenUsage({ ...request, inputImages: request.images }) };
  }

  async variation(request: VariationRequest, options: EngineRunOptions): Promise<EngineResult> {
    assertSize(request.image, request);
    const images = await this.run(request, options, (index) => {
      const seed = seedFor(request, VARIATION, index, '');
      return paintVariation({
        source: request.image,
        random: createRandom(seed),
        texture: paintPicture(this.paintOptions(request, mixSeed(seed, 1))),
        transparent: request.background === 'transparent',
      });
    });
    return { images, usage: estimateImageTokenUsage({ ...request, inputImages: [request.image] }) };
  }

  private paintOptions(request: EngineCommonRequest, seed: number) {
    return {
      width: request.width,
      height: request.height,
      random: createRandom(seed),
      transparent: request.background === 'transparent',
      vivid: request.style !== 'natural',
    };
  }

  /** Makes the n images one by one, reporting steps and yielding to the event loop between images. */
  private async run(
    request: EngineCommonRequest,
    { signal, onProgress }: EngineRunOptions,
    paint: (index: number) => Buffer,
  ): Promise<EngineImage[]> {
    throwIfAborted(signal);
    assertRequest(request);
    const total = this.steps * request.n;
    const stepDelay = this.delayMsPerImage / this.steps;
    const images: EngineImage[] = [];
    for (let index = 0; index < request.n; index++) {
      if (index > 0) await setImmediate();
      for (let step = 1; step <= this.steps; step++) {
        if (stepDelay > 0) await abortableSleep(stepDelay, signal);
        throwIfAborted(signal);
        if (step === this.steps) images.push(await this.image(request, index, paint));
        onProgress?.({ step: index * this.steps + step, total });
      }
    }
    return images;
  }

  private async image(request: EngineCommonRequest, index: number, paint: (index: number) => Buffer): Promise<EngineImage> {
    if (!this.cached) return { data: paint(index), width: request.width, height: request.height };
    return this.cached.get({ width: request.width, height: request.height, ...request.output, background: request.background });
  }
}

function seedFor(request: EngineCommonRequest, operation: number, index: number, prompt: string): number {
  // Seeds may exceed 32 bits: fold in the high part so such seeds do not collide.
  return mixSeed(request.seed, Math.floor(request.seed / 2 ** 32), hashString(prompt), operation, index);
}

async function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch (error) {
    if (signal.aborted) throw new EngineAbortedError();
    throw error;
  }
}

function assertRequest({ n, width, height }: EngineCommonRequest): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`invalid size ${width}x${height}`);
  }
}

function assertSize(image: RawImage, { width, height }: EngineCommonRequest): void {
  if (image.width !== width || image.height !== height || image.data.length !== width * height * 4) {
    throw new RangeError(`input image is ${image.width}x${image.height}, expected ${width}x${height} RGBA`);
  }
}
