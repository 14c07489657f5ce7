import type { WebhookDeliveryAttempt, WebhookDeliveryRecord, WebhookDeliveryState } from './webhook-delivery-log.store';

/** A delivery as the admin API shows it: snake_case and Unix seconds, as OpenAI's objects are. */
export interface WebhookDeliveryObject {
  id: string;
  object: 'webhook.delivery';
  event_id: string;
  event_type: string;
  /** The configured endpoint, or null for a request's own webhook_url. */
  endpoint_id: string | null;
  /** Set for a request's own webhook_url. */
  url: string | null;
  state: WebhookDeliveryState;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  next_attempt_at: number | null;
  replay_of: string | null;
}

export interface WebhookDeliveryAttemptObject {
  attempt: number;
  at: number;
  status: number | null;
  latency_ms: number;
  error: string | null;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

export function toWebhookDeliveryObject(record: WebhookDeliveryRecord): WebhookDeliveryObject {
  return {
    id: record.id,
    object: 'webhook.delivery',
    event_id: record.event.id,
    event_type: record.event.type,
    endpoint_id: record.target.kind === 'endpoint' ? record.target.endpointId : null,
    url: record.target.kind === 'url' ? record.target.url : null,
    state: record.state,
    attempts: record.attempts,
    last_status: record.lastStatus,
    last_error: record.lastError ?? null,
    created_at: seconds(record.createdAt),
    updated_at: seconds(record.updatedAt),
    next_attempt_at: record.nextAttemptAt === undefined ? null : seconds(record.nextAttemptAt),
    replay_of: record.replayOf ?? null,
  };
}

/** `at` stays in milliseconds: attempts of a fast retry schedule fall within one second. */
export function toWebhookAttemptObject(attempt: WebhookDeliveryAttempt): WebhookDeliveryAttemptObject {
  return { attempt: attempt.attempt, at: attempt.at, status: attempt.status, latency_ms: attempt.latencyMs, error: attempt.error ?? null };
}
