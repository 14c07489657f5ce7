import type { ImagesUsage } from '@imageforge/contracts';

/**
 * The contract every inference engine implements (synthetic, onnx, …).
 * Inputs arrive decoded (RGBA at the job's size). Outputs are RGBA pixels, which the
 * worker pipeline encodes once as the caller asked, or already-encoded files from an
 * engine that has them (an upstream service, a cache), which are stored as they are.
 */

/** Decoded image: `data` holds width*height*4 bytes, RGBA, row-major. */
export interface RawImage {
  /** Optional tag; it keeps an EncodedImage from passing for a RawImage. */
  kind?: 'raw';
  data: Buffer;
  width: number;
  height: number;
}

export type OutputFormat = 'png' | 'jpeg' | 'webp';
export type Background = 'transparent' | 'opaque' | 'auto';

/** An image already in a file format; `width`/`height` are what the bytes decode to. */
export interface EncodedImage {
  kind: 'encoded';
  data: Buffer;
  format: OutputFormat;
  width: number;
  height: number;
}

/** What an engine may return per image. */
export type EngineImage = RawImage | EncodedImage;

export function isEncodedImage(image: EngineImage): image is EncodedImage {
  return (image as EncodedImage).kind === 'encoded';
}

export interface EngineCommonRequest {
  /** Public model id the request named, e.g. `dall-e-3`. */
  model: string;
  n: number;
  width: number;
  height: number;
  /** Profile-specific quality value as sent (`standard`, `hd`, `low`, `high`, `auto`, …). */
  quality: string;
  /** `transparent` asks the engine for an alpha channel. */
  background: Background;
  style?: 'vivid' | 'natural';
  /** Makes the result reproducible; derived from the job when the caller gives none. */
  seed: number;
  /**
   * The file the caller will receive. Engines returning RGBA can ignore it; one that
   * returns encoded images should produce this format (anything else is re-encoded).
   */
  output: { format: OutputFormat; compression?: number };
  /** Previews wanted per image (0-3), handed to `onPreview` while the run goes on; an engine may send fewer. */
  partialImages?: number;
  /** GPT image `moderation`, `input_fidelity` (edits) and the caller's `user`, as sent: for engines that relay the call to another API. */
  moderation?: 'low' | 'auto';
  inputFidelity?: 'low' | 'high';
  user?: string;
}

export interface GenerateRequest extends EngineCommonRequest {
  prompt: string;
}

export interface EditRequest extends EngineCommonRequest {
  prompt: string;
  /** Input images, already resized to width x height. The first one is the one edited. */
  images: RawImage[];
  /** Same size as images[0]; alpha 0 marks pixels to repaint. Absent: images[0]'s own alpha is the mask. */
  mask?: RawImage;
}

export interface VariationRequest extends EngineCommonRequest {
  /** Input image, already resized to width x height. */
  image: RawImage;
}

export interface EngineProgress {
  /** 1-based step just finished. */
  step: number;
  total: number;
}

/** A coarser look at one image before it is done. */
export interface EnginePreview {
  /** Which output image, 0-based. */
  imageIndex: number;
  /** 0-based among that image's previews, in order. */
  partialIndex: number;
  /**
   * The request's aspect at its size or smaller (an engine may hand over what its preview
   * decoder made, at latent resolution); the worker scales it to the size it stores.
   */
  image: EngineImage;
}

export interface EngineRunOptions {
  signal: AbortSignal;
  onProgress?: (progress: EngineProgress) => void;
  /** Awaited before the run goes on, so previews arrive in order and before the result; a caller that stores them should queue the work and answer at once. */
  onPreview?: (preview: EnginePreview) => Promise<void>;
  /**
   * Told the milliseconds this run held its device, its share where a batch held it for several:
   * GPU time, without the wait in line. Called by the worker's device lock, never by an engine.
   */
  onDeviceTime?: (ms: number) => void;
}

export interface EngineResult<I extends EngineImage = EngineImage> {
  /** Exactly `n` images, each width x height. */
  images: I[];
  revisedPrompt?: string;
  /** Tokens in and out of the run, when the engine counts them; the worker estimates them otherwise. */
  usage?: ImagesUsage;
}

export interface EngineDescription {
  engine: string;
  /** What the engine holds loaded, e.g. a model folder; shown in logs and health output. */
  model: string;
  device: string;
  /**
   * Runs one at a time on `device` (a GPU, or a CPU it saturates): the worker then serialises
   * its runs there and lets its other slots read, encode and upload meanwhile.
   */
  exclusive?: boolean;
}

/** One request of a shared run, with its own signal, progress and previews. */
export interface EngineBatchRun {
  request: GenerateRequest;
  options: EngineRunOptions;
}

/**
 * Generations that can share one device pass. Each run keeps its own seed, progress,
 * previews, result and failure: run k's images are the images it gets alone, and a run
 * whose signal aborts leaves with EngineAbortedError while the others go on.
 */
export interface EngineBatching {
  /** Most images one shared pass holds; runs are grouped up to this many images. */
  readonly maxBatch: number;
  /** Runs with equal keys can share a pass; null: this request runs alone. */
  keyOf(request: GenerateRequest): string | null;
  /** One result or error per run, in order; rejects only for a fault that hit every run. */
  generateMany(runs: EngineBatchRun[]): Promise<Array<EngineResult | Error>>;
}

export interface ImageEngine {
  readonly name: string;
  /** Present when compatible generations can run as one batch on the device. */
  readonly batching?: EngineBatching;
  /** Loads weights / sessions once; called before the worker takes jobs. */
  load(): Promise<void>;
  generate(request: GenerateRequest, options: EngineRunOptions): Promise<EngineResult>;
  edit(request: EditRequest, options: EngineRunOptions): Promise<EngineResult>;
  variation(request: VariationRequest, options: EngineRunOptions): Promise<EngineResult>;
  describe(): EngineDescription;
  close(): Promise<void>;
}

/** Thrown by engines when the AbortSignal fired; the worker hands the job back. */
export class EngineAbortedError extends Error {
  constructor(message = 'engine run aborted') {
    super(message);
    this.name = 'EngineAbortedError';
  }
}

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new EngineAbortedError();
}

/**
 * Allocation failures as engines report them (ONNX Runtime's "Failed to allocate memory", CUDA's
 * "out of memory", ComfyUI's OOM, Node's ENOMEM): what a smaller batch or another worker may fix.
 */
export const OUT_OF_MEMORY_PATTERN = /out of memory|\boom\b|enomem|allocation failed|allocation failure|bad_alloc|heap limit|cuda.*memory|failed to allocate|cannot allocate memory|cublas_status_alloc_failed/i;

export function isOutOfMemoryError(error: unknown): boolean {
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  return OUT_OF_MEMORY_PATTERN.test(text);
}
