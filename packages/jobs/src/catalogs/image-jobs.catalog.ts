import { z } from 'zod';
import { ImagesUsageSchema, NormalizedImageParamsSchema, type ImageOperation } from '@imageforge/contracts';
import { defineJobCatalog, JOB_LANES, type JobDefinition, type JobName, type JobOptions, type JobPayload } from '../job-catalog';
import type { AnyJobRecord, JobRecord } from '../job-record';
import { JobDeadlineSchema } from '../job-deadline';

/**
 * Image jobs, shared by the API (producer) and the workers (consumer). Payloads carry
 * storage keys and parameters, never image bytes or secrets.
 */

const JobContextSchema = z.object({
  /** x-request-id of the HTTP request that queued the job. */
  requestId: z.string().min(1),
  /** sha256 of the caller's API key (never the key): a key reads only its own jobs. */
  owner: z.string().min(1),
  /** Unix milliseconds when the API accepted the request. */
  acceptedAt: z.number().int().nonnegative(),
  params: NormalizedImageParamsSchema,
  /** How urgently it waits (see the queue's lane policy); absent on jobs queued before lanes were recorded. */
  lane: z.enum(JOB_LANES).optional(),
  /** Set on a batch's line (its job id is `batchLineJobId(id, line)`): where its outcome is tallied. */
  batch: z.object({ id: z.string().min(1), line: z.number().int().positive(), customId: z.string() }).optional(),
  /** The request's own webhook endpoint (`webhook_url`), already checked against the allowed hosts. */
  webhookUrl: z.string().url().optional(),
  /** When it must start and how long it may run; absent (and on jobs queued before deadlines): none. */
  deadline: JobDeadlineSchema.optional(),
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

/** What the worker made: facts only. How they are shown to the caller is contracts' `toImagesResponse`. */
export const ImageJobResultSchema = z.object({
  images: z.array(StoredImageSchema).min(1),
  /** The engine's own rewrite of the prompt, when it made one. */
  revisedPrompt: z.string().optional(),
  /** Tokens in and out, whatever the model family; only GPT image responses show them. */
  usage: ImagesUsageSchema.optional(),
  /** Unix milliseconds when the worker finished. */
  finishedAt: z.number().int().nonnegative(),
  /** Seconds the run held its device (its share of a batch), or ran where it holds none: the GPU time usage counts. */
  engineSeconds: z.number().nonnegative().optional(),
});
export type ImageJobResult = z.infer<typeof ImageJobResultSchema>;

const IMAGE_JOB_OPTIONS: JobOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 24 * 3600, count: 50_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
};

/** How much longer a completed job's record stays than its images: a poll then says they are gone, not that the job never was. */
export const RECORD_OUTLIVES_OUTPUTS_SECONDS = 24 * 3600;

/**
 * Record retention for image jobs whose outputs are kept `outputHours` (RETENTION_OUTPUT_HOURS): a
 * completed record outlives its images by a day, and never goes sooner than the catalog's own age; a
 * failed job has no images and keeps the catalog's. The count caps stay: past them BullMQ trims the
 * oldest records, and the sweep then deletes their images with them.
 */
export function imageJobRetention(outputHours: number): Pick<JobOptions, 'removeOnComplete' | 'removeOnFail'> {
  const age = Math.max(IMAGE_JOB_OPTIONS.removeOnComplete.age, Math.ceil(outputHours * 3600) + RECORD_OUTLIVES_OUTPUTS_SECONDS);
  return { removeOnComplete: { ...IMAGE_JOB_OPTIONS.removeOnComplete, age }, removeOnFail: { ...IMAGE_JOB_OPTIONS.removeOnFail } };
}

export const imageJobCatalog = defineJobCatalog({
  'image.generate': { operation: 'generation', payload: GeneratePayloadSchema, result: ImageJobResultSchema, options: IMAGE_JOB_OPTIONS },
  'image.edit': { operation: 'edit', payload: EditPayloadSchema, result: ImageJobResultSchema, options: IMAGE_JOB_OPTIONS },
  'image.variation': { operation: 'variation', payload: VariationPayloadSchema, result: ImageJobResultSchema, options: IMAGE_JOB_OPTIONS },
  // Every image job performs one of OpenAI's image operations; a typo fails the build.
} satisfies Record<string, JobDefinition<z.ZodType, typeof ImageJobResultSchema, ImageOperation>>);

export type ImageJobCatalog = typeof imageJobCatalog;
export type ImageJobName = JobName<ImageJobCatalog>;
export type ImageJobPayload<N extends ImageJobName = ImageJobName> = JobPayload<ImageJobCatalog, N>;
export type ImageJobRecord<N extends ImageJobName = ImageJobName> = JobRecord<ImageJobCatalog, N>;
export type AnyImageJobRecord = AnyJobRecord<ImageJobCatalog>;

/** The job that performs an operation: the catalog's entries name their operation, so this is a lookup, not a table. */
export function imageJobNameFor(operation: ImageOperation): ImageJobName {
  const name = (Object.keys(imageJobCatalog) as ImageJobName[]).find((candidate) => imageJobCatalog[candidate].operation === operation);
  if (!name) throw new Error(`no image job performs ${operation}`);
  return name;
}

/**
 * The image job of a batch's line: derived from the batch, so an expand phase that runs again
 * names the same job, and anyone holding a batch id can find its lines (BullMQ ids: no ':', not all digits).
 */
export function batchLineJobId(batchId: string, line: number): string {
  return `${batchId}-${line}`;
}
