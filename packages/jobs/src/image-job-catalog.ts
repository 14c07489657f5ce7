import { z } from 'zod';
import { NormalizedImageParamsSchema } from '@imageforge/contracts';

/**
 * The one job catalog shared by the API (producer) and the workers (consumer):
 * job name -> payload schema, result schema, default options.
 * Payloads carry storage keys and parameters, never image bytes or secrets.
 * Change payloads only by adding optional fields: queued jobs outlive deploys.
 */

const JobContextSchema = z.object({
  /** x-request-id of the HTTP request that queued the job. */
  requestId: z.string().min(1),
  /** sha256 of the caller's API key (never the key): a key reads only its own jobs. */
  owner: z.string().min(1),
  /** Unix milliseconds when the API accepted the request. */
  acceptedAt: z.number().int().nonnegative(),
  params: NormalizedImageParamsSchema,
});

export const GeneratePayloadSchema = JobContextSchema.extend({
  prompt: z.string().min(1),
});

export const EditPayloadSchema = JobContextSchema.extend({
  prompt: z.string().min(1),
  /** Storage keys of the input images; the first is the one the mask applies to. */
  imageKeys: z.array(z.string().min(1)).min(1).max(16),
  maskKey: z.string().min(1).optional(),
});

export const VariationPayloadSchema = JobContextSchema.extend({
  imageKey: z.string().min(1),
});

export const StoredImageSchema = z.object({
  key: z.string().min(1),
  contentType: z.string().min(1),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  bytes: z.number().int().nonnegative(),
});
export type StoredImage = z.infer<typeof StoredImageSchema>;

export const ImageUsageSchema = z.object({
  input_tokens: z.number().int().nonnegative(),
  output_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
  input_tokens_details: z.object({
    text_tokens: z.number().int().nonnegative(),
    image_tokens: z.number().int().nonnegative(),
  }),
});

export const ImageJobResultSchema = z.object({
  images: z.array(StoredImageSchema).min(1),
  revisedPrompt: z.string().optional(),
  usage: ImageUsageSchema.optional(),
  /** Unix milliseconds when the worker finished. */
  finishedAt: z.number().int().nonnegative(),
});
export type ImageJobResult = z.infer<typeof ImageJobResultSchema>;

/** BullMQ options every image job gets unless the catalog entry overrides them. */
export interface ImageJobOptions {
  attempts: number;
  backoff: { type: 'exponential'; delay: number };
  /**
   * Completed jobs stay readable for polling and late sync waiters; `true` would
   * delete them before a waiter can read the result ("Missing key for job").
   */
  removeOnComplete: { age: number; count: number };
  removeOnFail: { age: number; count: number };
}

const DEFAULT_OPTIONS: ImageJobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 50_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
};

export const imageJobCatalog = {
  'image.generate': { payload: GeneratePayloadSchema, result: ImageJobResultSchema, options: DEFAULT_OPTIONS },
  'image.edit': { payload: EditPayloadSchema, result: ImageJobResultSchema, options: DEFAULT_OPTIONS },
  'image.variation': { payload: VariationPayloadSchema, result: ImageJobResultSchema, options: DEFAULT_OPTIONS },
} as const;

export type ImageJobCatalog = typeof imageJobCatalog;
export type ImageJobName = keyof ImageJobCatalog;
export type ImageJobPayload<N extends ImageJobName> = z.infer<ImageJobCatalog[N]['payload']>;
export type AnyImageJobPayload = { [N in ImageJobName]: ImageJobPayload<N> }[ImageJobName];

export const IMAGE_JOB_NAMES = Object.keys(imageJobCatalog) as ImageJobName[];

export function isImageJobName(name: string): name is ImageJobName {
  return Object.prototype.hasOwnProperty.call(imageJobCatalog, name);
}
