import { z } from 'zod';

/**
 * The `engine` object of a model registry entry served by the in-process ONNX Runtime engine.
 * Parsed by the worker's engine factory; every field but `modelDir` has a default.
 */
export const OnnxEngineConfigSchema = z.object({
  kind: z.literal('onnx'),
  /** Folder in the Hugging Face optimum ONNX layout (model_index.json, unet/model.onnx, …). */
  modelDir: z.string().min(1),
  /** ONNX Runtime execution provider. A GPU provider that cannot load fails `load()`; there is no CPU fallback. Default `cpu`. */
  provider: z.enum(['cpu', 'cuda', 'tensorrt']).default('cpu'),
  /** GPU ordinal for `cuda` / `tensorrt`. Default 0. */
  deviceId: z.number().int().min(0).default(0),
  /** Denoising steps. Default 25; SD-Turbo folders want 1–4. */
  steps: z.number().int().min(1).max(200).default(25),
  /** Classifier-free guidance scale; ≤ 1 skips the unconditional half (SD-Turbo runs 0). Default 7.5. */
  guidanceScale: z.number().min(0).max(50).default(7.5),
  /** Overrides the scheduler named in `scheduler/scheduler_config.json`. */
  scheduler: z.enum(['euler', 'euler_a', 'ddim', 'lcm']).optional(),
  /** How much of a variation's input is re-noised (img2img), 0–1. Default 0.6. */
  strength: z.number().gt(0).max(1).default(0.6),
  /** Most images per UNet call (each is doubled under guidance); bounds GPU memory. Default 4. */
  maxBatch: z.number().int().min(1).max(16).default(4),
  /**
   * Pixel size the model was trained at, used when a request's size cannot run directly.
   * Default: the UNet's fixed spatial dims when it has them, else 512.
   */
  nativeSize: z.number().int().min(64).multipleOf(8).optional(),
  /**
   * How streamed previews (partial images) are decoded. `auto`: the folder's `vae_approx/` or
   * `taesd_decoder/` model when present, else a cheap linear latent-to-RGB projection.
   * `vae`: the full VAE decoder (sharp, but a whole decode per preview). Default `auto`.
   */
  previewDecoder: z.enum(['auto', 'vae']).default('auto'),
});

export type OnnxEngineConfig = z.infer<typeof OnnxEngineConfigSchema>;
export type OnnxEngineConfigInput = z.input<typeof OnnxEngineConfigSchema>;
export type ExecutionProviderKind = OnnxEngineConfig['provider'];
