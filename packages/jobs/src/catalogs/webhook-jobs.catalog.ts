import { z } from 'zod';
import { defineJobCatalog, type JobName, type JobPayload, type JobResult } from '../job-catalog';

/** Queue webhook deliveries wait on, apart from the GPU queues so a slow receiver never holds up inference. */
export const WEBHOOKS_QUEUE = 'webhooks';

/** OpenAI's batch events, then ours for image jobs. Only ever add: queued deliveries outlive deploys. */
export const WEBHOOK_EVENT_TYPES = [
  'batch.completed',
  'batch.failed',
  'batch.expired',
  'batch.cancelled',
  'image.job.succeeded',
  'image.job.failed',
  'image.job.cancelled',
  'image.job.expired',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The body a receiver gets, in the shape of OpenAI's webhook events. */
export const WebhookEventBodySchema = z.object({
  object: z.literal('event'),
  id: z.string().min(1),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  /** Unix seconds. */
  created_at: z.number().int().nonnegative(),
  data: z.record(z.string(), z.unknown()).and(z.object({ id: z.string().min(1) })),
});
export type WebhookEventBody = z.infer<typeof WebhookEventBodySchema>;

/**
 * Where a delivery goes: a configured endpoint (its url and secret are looked up when
 * it is sent, so no secret is queued) or a request's own `webhook_url`.
 */
export const WebhookTargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('endpoint'), endpointId: z.string().min(1) }),
  z.object({ kind: z.literal('url'), url: z.string().url() }),
]);
export type WebhookTarget = z.infer<typeof WebhookTargetSchema>;

export const WebhookDeliveryPayloadSchema = z.object({
  event: WebhookEventBodySchema,
  target: WebhookTargetSchema,
  /** Whose event it is (the API key's hash). */
  owner: z.string().min(1),
});

export const WebhookDeliveryResultSchema = z.object({
  /** The receiver's 2xx status. */
  status: z.number().int().min(200).max(299),
  /** Attempt that succeeded, 1 for the first. */
  attempt: z.number().int().positive(),
  /** Unix milliseconds. */
  deliveredAt: z.number().int().nonnegative(),
});

export const webhookJobCatalog = defineJobCatalog({
  'webhook.deliver': {
    operation: 'deliver',
    payload: WebhookDeliveryPayloadSchema,
    result: WebhookDeliveryResultSchema,
    options: {
      // The delivery handler ends a delivery once its retry schedule is spent, so this is only a ceiling on it.
      attempts: 8,
      // `custom`: the worker's backoff strategy applies the retry schedule and the receiver's Retry-After.
      backoff: { type: 'custom', delay: 0 },
      // Kept so that emitting an event again (a re-run step) finds the delivery by its id and adds nothing.
      removeOnComplete: { age: 7 * 24 * 3600, count: 100_000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 100_000 },
    },
  },
});

export type WebhookJobCatalog = typeof webhookJobCatalog;
export type WebhookJobName = JobName<WebhookJobCatalog>;
export type WebhookDeliveryPayload = JobPayload<WebhookJobCatalog, 'webhook.deliver'>;
export type WebhookDeliveryResult = JobResult<WebhookJobCatalog, 'webhook.deliver'>;
