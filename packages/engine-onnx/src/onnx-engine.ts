import {
  type EditRequest,
  type EngineBatchRun,
  type EngineBatching,
  type EngineCommonRequest,
  type EngineDescription,
  type EnginePreview,
  type EngineResult,
  type EngineRunOptions,
  type GenerateRequest,
  type ImageEngine,
  type RawImage,
  type VariationRequest,
  estimateImageTokenUsage,
  throwIfAborted,
} from '@imageforge/engine-core';
import { type OnnxEngineConfig, type OnnxEngineConfigInput, OnnxEngineConfigSchema } from './config/onnx-engine-config';
import type { DiffusionOutput, DiffusionPipeline, DiffusionRequest, LatentPreview, PipelineRunOptions } from './pipeline/diffusion-pipeline';
import { compositeKept, countRepainted, latentMask, maskPixels, pixelsToRgba, repaintMask, resizeRgba, rgbaToPixels } from './pipeline/image-tensors';
import { type PipelineTimingHook, timed } from './pipeline/pipeline-timing';
import type { PreviewDecoder } from './pipeline/preview-decoder';
import { chooseRunSize, resizeMask } from './pipeline/run-size';
import { describeProvider } from './sessions/execution-provider';
import { type ModelSessions, releaseModelSessions } from './sessions/model-sessions';
import { loadDiffusionPipeline } from './pipeline/load-pipeline';

export interface OnnxEngineOptions {
  /** Receives ONNX Runtime vs host timings of every run (benchmarks, profiling). Default none. */
  timing?: PipelineTimingHook;
}

/** The engine contract allows 0-3 previews per image. */
const MAX_PREVIEWS = 3;

interface SourceImage {
  image: RawImage;
  /** Request-size 0/1 mask, 1 = repaint; absent for variations. */
  repaint?: Uint8Array;
}

/** Stable Diffusion-family pipelines in-process on ONNX Runtime (CPU, CUDA or TensorRT). */
export class OnnxImageEngine implements ImageEngine {
  readonly name = 'onnx';
  private sessions?: ModelSessions;
  private pipeline?: DiffusionPipeline;
  private preview?: PreviewDecoder;
  readonly batching: EngineBatching;

  constructor(
    readonly config: OnnxEngineConfig,
    private readonly options: OnnxEngineOptions = {},
  ) {
    this.batching = {
      maxBatch: config.maxBatch,
      keyOf: (request) => this.batchKey(request),
      generateMany: (runs) => this.runMany(runs),
    };
  }

  async load(): Promise<void> {
    if (this.pipeline) return;
    const loaded = await loadDiffusionPipeline(this.config);
    this.pipeline = loaded.pipeline;
    this.sessions = loaded.sessions;
    this.preview = loaded.preview;
  }

  generate(request: GenerateRequest, options: EngineRunOptions): Promise<EngineResult<RawImage>> {
    return this.run(request, request.prompt, undefined, options);
  }

  variation(request: VariationRequest, options: EngineRunOptions): Promise<EngineResult<RawImage>> {
    return this.run(request, '', { image: request.image }, options);
  }

  async edit(request: EditRequest, options: EngineRunOptions): Promise<EngineResult<RawImage>> {
    const image = request.images[0];
    if (!image) throw new Error('edit needs an input image');
    const repaint = repaintMask(request.mask ?? image);
    // Nothing transparent to repaint: the prompt re-imagines the whole image (img2img) instead.
    return this.run(request, request.prompt, countRepainted(repaint) > 0 ? { image, repaint } : { image }, options);
  }

  describe(): EngineDescription {
    return { engine: this.name, model: this.config.modelDir, device: describeProvider(this.config), exclusive: true };
  }

  async close(): Promise<void> {
    const sessions = this.sessions;
    this.sessions = undefined;
    this.pipeline = undefined;
    this.preview = undefined;
    if (sessions) await releaseModelSessions(sessions);
  }

  private async run(request: EngineCommonRequest, prompt: string, source: SourceImage | undefined, options: EngineRunOptions): Promise<EngineResult<RawImage>> {
    throwIfAborted(options.signal);
    const pipeline = this.loaded();
    const { diffusion, runOptions } = this.prepare(pipeline, request, prompt, source, options);
    return this.finish(pipeline, request, prompt, source, await pipeline.denoise(diffusion, runOptions), runOptions);
  }

  /**
   * Generations sharing one UNet batch: each keeps its seed (so its images are those it gets
   * alone), progress, previews, result and failure; a cancelled one leaves at the next step.
   */
  private async runMany(runs: EngineBatchRun[]): Promise<Array<EngineResult | Error>> {
    const pipeline = this.loaded();
    const prepared = runs.map(({ request, options }) => this.prepare(pipeline, request, request.prompt, undefined, options));
    const denoised = await pipeline.denoiseMany(
      prepared.map(({ diffusion, runOptions }) => ({ request: diffusion, options: runOptions })),
      this.options.timing,
    );
    const results: Array<EngineResult | Error> = [];
    for (const [i, output] of denoised.entries()) {
      const { request } = runs[i]!;
      if (output instanceof Error) results.push(output);
      else results.push(await this.finish(pipeline, request, request.prompt, undefined, output, prepared[i]!.runOptions).catch((error: unknown) => asError(error)));
    }
    return results;
  }

  /** Requests of one run size and guidance share a batch; edits, variations and inpainting UNets run alone. */
  private batchKey(request: GenerateRequest): string | null {
    const pipeline = this.pipeline;
    if (!pipeline || pipeline.unetSignature.inChannels !== 4) return null;
    let size: { width: number; height: number };
    try {
      size = chooseRunSize(request.width, request.height, pipeline.unetSignature, this.config.nativeSize);
    } catch {
      // Its own run reports why the size does not fit.
      return null;
    }
    const guided = this.config.guidanceScale > 1 && request.prompt !== '';
    return `txt2img:${size.width}x${size.height}:${this.config.steps}:${guided ? this.config.guidanceScale : 'unguided'}`;
  }

  private loaded(): DiffusionPipeline {
    if (!this.pipeline) throw new Error('onnx engine used before load()');
    return this.pipeline;
  }

  private prepare(
    pipeline: DiffusionPipeline,
    request: EngineCommonRequest,
    prompt: string,
    source: SourceImage | undefined,
    options: EngineRunOptions,
  ): { diffusion: DiffusionRequest; runOptions: PipelineRunOptions } {
    const size = chooseRunSize(request.width, request.height, pipeline.unetSignature, this.config.nativeSize);
    const diffusion: DiffusionRequest = {
      prompt,
      n: request.n,
      latentWidth: size.width / 8,
      latentHeight: size.height / 8,
      seed: request.seed,
      steps: this.config.steps,
      guidanceScale: this.config.guidanceScale,
    };
    if (source) {
      const pixels = rgbaToPixels(resizeRgba(source.image, size.width, size.height));
      diffusion.image = pixels;
      if (source.repaint) {
        const mask = resizeMask(source.repaint, request.width, request.height, size.width, size.height);
        diffusion.latentMask = latentMask(mask, size.width, size.height);
        diffusion.maskedImage = maskPixels(pixels, mask);
        diffusion.strength = 1;
      } else {
        diffusion.strength = this.config.strength;
      }
    }
    const previews = options.onPreview ? Math.max(0, Math.min(MAX_PREVIEWS, Math.floor(request.partialImages ?? 0))) : 0;
    const runOptions: PipelineRunOptions = { ...options, timing: this.options.timing };
    const onPreview = options.onPreview;
    if (previews > 0 && onPreview && this.preview) {
      diffusion.previews = previews;
      const decoder = this.preview;
      runOptions.onLatentPreview = (preview) => this.sendPreview(decoder, preview, request, source, runOptions.timing, onPreview);
    }
    return { diffusion, runOptions };
  }

  private async finish(
    pipeline: DiffusionPipeline,
    request: EngineCommonRequest,
    prompt: string,
    source: SourceImage | undefined,
    { latents, promptTokens }: DiffusionOutput,
    runOptions: PipelineRunOptions,
  ): Promise<EngineResult<RawImage>> {
    const images: RawImage[] = [];
    for (let i = 0; i < request.n; i++) {
      const pixels = await pipeline.decode(latents, i, runOptions);
      images.push(
        await timed(runOptions.timing, 'host', 'pixels', () => {
          const image = resizeRgba(pixelsToRgba(pixels), request.width, request.height);
          return source?.repaint ? compositeKept(image, source.image, source.repaint) : image;
        }),
      );
    }
    const usage = estimateImageTokenUsage({
      prompt,
      n: request.n,
      width: request.width,
      height: request.height,
      quality: request.quality,
      inputImages: source ? [source.image] : [],
    });
    usage.input_tokens += promptTokens - usage.input_tokens_details.text_tokens;
    usage.total_tokens = usage.input_tokens + usage.output_tokens;
    usage.input_tokens_details.text_tokens = promptTokens;
    return { images, usage };
  }

  /**
   * Decodes and hands on one preview. A preview is a courtesy: any failure in it (decoder,
   * callback) is dropped so the run goes on to its result.
   */
  private async sendPreview(
    decoder: PreviewDecoder,
    preview: LatentPreview,
    request: EngineCommonRequest,
    source: SourceImage | undefined,
    timing: PipelineTimingHook | undefined,
    onPreview: (preview: EnginePreview) => Promise<void>,
  ): Promise<void> {
    try {
      const decoded = await decoder.decode(preview.latents, timing);
      // At the decoder's own resolution: the worker scales it in libvips, off this thread, while
      // the next steps run. Only a masked edit needs the request's size here, to keep its pixels.
      const image = source?.repaint ? compositeKept(resizeRgba(decoded, request.width, request.height), source.image, source.repaint) : decoded;
      await onPreview({ imageIndex: preview.imageIndex, partialIndex: preview.partialIndex, image });
    } catch {
      // Dropped on purpose: the image itself still comes.
    }
  }
}

/** The worker's engine factory calls this with a registry entry's `engine` object. */
export function createOnnxEngine(config: OnnxEngineConfigInput, options?: OnnxEngineOptions): OnnxImageEngine {
  return new OnnxImageEngine(OnnxEngineConfigSchema.parse(config), options);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
