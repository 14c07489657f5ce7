/**
 * The contract every inference engine implements (synthetic, onnx, …).
 * Engines work on decoded RGBA pixels; decoding inputs and encoding outputs
 * (png/jpeg/webp, compression, alpha) happen once, in the worker pipeline.
 */

/** Decoded image: `data` holds width*height*4 bytes, RGBA, row-major. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
}

export type OutputFormat = 'png' | 'jpeg' | 'webp';
export type Background = 'transparent' | 'opaque' | 'auto';

export interface ImageTokenUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  input_tokens_details: { text_tokens: number; image_tokens: number };
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

export interface EngineRunOptions {
  signal: AbortSignal;
  onProgress?: (progress: EngineProgress) => void;
}

export interface EngineResult {
  /** Exactly `n` images, each width x height. */
  images: RawImage[];
  revisedPrompt?: string;
  usage?: ImageTokenUsage;
}

export interface EngineDescription {
  engine: string;
  /** What the engine holds loaded, e.g. a model folder; shown in logs and health output. */
  model: string;
  device: string;
}

export interface ImageEngine {
  readonly name: string;
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
