import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import {
  EngineAbortedError,
  estimateImageTokenUsage,
  isEncodedImage,
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
import { pixelate, previewBlockSize } from './preview-pixelator';
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
  /** Described as exclusive (one run at a time on its device), as a GPU engine is. Default false. */
  exclusive?: boolean;
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
  private readonly exclusive: boolean;

  constructor(options: SyntheticEngineOptions = {}) {
    this.exclusive = options.exclusive ?? false;
    this.delayMsPerImage = Math.max(0, options.delayMsPerImage ?? 0);
    this.steps = Math.max(1, Math.floor(options.steps ?? 4));
    this.cached = options.render === 'cached' ? new CachedPictures() : undefined;
  }

  async load(): Promise<void> {}

  async close(): Promise<void> {
    this.cached?.clear();
  }

  describe(): EngineDescription {
    return { engine: this.name, model: this.cached ? 'cached picture per size (no weights)' : 'procedural (no weights)', device: 'cpu', ...(this.exclusive ? { exclusive: true } : {}) };
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

  /**
   * Makes the n images one by one, reporting steps and yielding to the event loop
   * between images. Previews are spread evenly over each image's delay; an image
   * with previews is painted before its delay so they can show it coarsely.
   */
  private async run(
    request: EngineCommonRequest,
    { signal, onProgress, onPreview }: EngineRunOptions,
    paint: (index: number) => Buffer,
  ): Promise<EngineImage[]> {
    throwIfAborted(signal);
    assertRequest(request);
    const total = this.steps * request.n;
    const previews = onPreview ? Math.max(0, Math.min(3, Math.floor(request.partialImages ?? 0))) : 0;
    const timeline = imageTimeline(this.steps, previews);
    const images: EngineImage[] = [];
    for (let index = 0; index < request.n; index++) {
      if (index > 0) await setImmediate();
      const early = previews > 0 ? await this.image(request, index, paint) : undefined;
      let elapsed = 0;
      for (const mark of timeline) {
        const wait = (mark.at - elapsed) * this.delayMsPerImage;
        elapsed = mark.at;
        if (wait > 0) await abortableSleep(wait, signal);
        throwIfAborted(signal);
        if (mark.preview !== undefined) {
          await onPreview?.({ imageIndex: index, partialIndex: mark.preview, image: previewOf(early!, mark.preview, previews) });
          continue;
        }
        if (mark.step === this.steps) images.push(early ?? (await this.image(request, index, paint)));
        onProgress?.({ step: index * this.steps + mark.step!, total });
      }
    }
    return images;
  }

  private async image(request: EngineCommonRequest, index: number, paint: (index: number) => Buffer): Promise<EngineImage> {
    if (!this.cached) return { data: paint(index), width: request.width, height: request.height };
    return this.cached.get({ width: request.width, height: request.height, ...request.output, background: request.background });
  }
}

interface TimelineMark {
  /** Fraction of the image's delay. */
  at: number;
  step?: number;
  preview?: number;
}

/** Steps at s/steps and previews at (k+1)/(previews+1) of an image's delay; a preview falls before a step due at the same time. */
function imageTimeline(steps: number, previews: number): TimelineMark[] {
  const marks: TimelineMark[] = [];
  for (let step = 1; step <= steps; step++) marks.push({ at: step / steps, step });
  for (let preview = 0; preview < previews; preview++) marks.push({ at: (preview + 1) / (previews + 1), preview });
  return marks.sort((a, b) => a.at - b.at || (a.preview !== undefined ? -1 : 1));
}

/** Cached files are shown as they are: that mode spends no CPU on pictures. */
function previewOf(image: EngineImage, partialIndex: number, count: number): EngineImage {
  return isEncodedImage(image) ? image : pixelate(image, previewBlockSize(partialIndex, count));
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
