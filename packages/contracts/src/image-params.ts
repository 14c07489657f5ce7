import { z } from 'zod';

/**
 * The API profiles models are validated against. OpenAI's rules differ per family:
 * dall-e-2, dall-e-3, GPT image (gpt-image-1, -1-mini, -1.5: fixed sizes + auto)
 * and gpt-image-2 (free WxH within limits).
 */
export const ModelProfileSchema = z.enum(['dall-e-2', 'dall-e-3', 'gpt-image', 'gpt-image-2']);
export type ModelProfile = z.infer<typeof ModelProfileSchema>;

export const ImageOperationSchema = z.enum(['generation', 'edit', 'variation']);
export type ImageOperation = z.infer<typeof ImageOperationSchema>;

export const OutputFormatSchema = z.enum(['png', 'jpeg', 'webp']);
export const ResponseFormatSchema = z.enum(['url', 'b64_json']);
export const BackgroundSchema = z.enum(['transparent', 'opaque', 'auto']);

/**
 * A request after validation and defaulting: what the API puts in a job and what
 * the worker hands to the engine. Echoed response fields come from here.
 * Only add optional fields: queued payloads outlive deploys.
 */
export const NormalizedImageParamsSchema = z.object({
  /** Public model id, as listed by /v1/models. */
  model: z.string().min(1),
  profile: ModelProfileSchema,
  n: z.number().int().min(1).max(10),
  /** Resolved output size (never `auto`). */
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** Resolved quality (GPT `auto` resolved to a concrete level; dall-e `standard`/`hd`). */
  quality: z.string().min(1),
  style: z.enum(['vivid', 'natural']).optional(),
  responseFormat: ResponseFormatSchema,
  outputFormat: OutputFormatSchema,
  /** 0-100, jpeg/webp only. */
  outputCompression: z.number().int().min(0).max(100).optional(),
  /** Resolved background (`auto` resolved to `opaque`). */
  background: BackgroundSchema,
  moderation: z.enum(['low', 'auto']).optional(),
  inputFidelity: z.enum(['low', 'high']).optional(),
  user: z.string().optional(),
  /** Reproducibility seed; absent means the worker derives one from the job id. */
  seed: z.number().int().nonnegative().optional(),
  /** `stream: true` (GPT image models): answered as server-sent events. */
  stream: z.boolean().optional(),
  /** Previews per image a stream asks for, 0-3; set only with `stream`. */
  partialImages: z.number().int().min(0).max(3).optional(),
});
export type NormalizedImageParams = z.infer<typeof NormalizedImageParamsSchema>;

export function formatSize(width: number, height: number): string {
  return `${width}x${height}`;
}
