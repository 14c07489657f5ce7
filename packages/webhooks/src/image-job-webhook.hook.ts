import {
  apiErrorOfReason,
  endedJobErrorCode,
  imageJobCatalog,
  outcomeOf,
  type AnyImageJobRecord,
  type ImageJobCatalog,
  type ImageJobName,
  type ImageJobPayload,
  type JobOutcome,
  type JobSettledHook,
} from '@imageforge/jobs';
import type { WebhookEvent, WebhookOutbox } from './webhook-outbox';

/** A job whose end is announced: one the caller did not wait for, or one that named its own webhook_url. */
function announced(payload: ImageJobPayload): boolean {
  return payload.lane === 'async' || payload.webhookUrl !== undefined;
}

/**
 * The `image.job.<status>` event of a finished image job, or null when nobody is told.
 * Its id depends only on the job and status, so the worker that settles the job, a
 * re-run after a crash, and the API cancelling it all emit the same event.
 */
export function imageJobWebhookEvent(
  job: { jobId: string; name: ImageJobName; payload: ImageJobPayload; outcome: JobOutcome<unknown> },
  now = Date.now(),
): WebhookEvent | null {
  if (!announced(job.payload)) return null;
  const { outcome, payload } = job;
  const finishedAt = outcome.status === 'succeeded' ? (outcome.result as { finishedAt?: number } | undefined)?.finishedAt : undefined;
  return {
    id: `evt_${job.jobId}_${outcome.status}`,
    type: `image.job.${outcome.status}`,
    createdAt: Math.floor((finishedAt ?? now) / 1000),
    owner: payload.owner,
    data: {
      id: job.jobId,
      object: 'image.job',
      operation: imageJobCatalog[job.name].operation,
      model: payload.params.model,
      status: outcome.status,
      // A forwarded upstream error is recorded as JSON behind its marker; receivers get its message.
      ...(outcome.status === 'succeeded' ? {} : { error: { message: apiErrorOfReason(outcome.reason)?.message ?? outcome.reason, code: endedJobErrorCode(outcome) } }),
    },
    ...(payload.webhookUrl ? { url: payload.webhookUrl } : {}),
  };
}

/** For image queues' workers: announces each async or webhook_url job once it has settled. */
export function imageJobWebhookHook(outbox: Pick<WebhookOutbox, 'emit'>): JobSettledHook<ImageJobCatalog> {
  return async (settled) => {
    const event = imageJobWebhookEvent(settled);
    if (event) await outbox.emit(event);
  };
}

/**
 * For the API's cancel route (ImageJobQueryService's `onCancelled`): announces a job read
 * back as finished, which for a job cancelled before it started no worker ever will.
 */
export function imageJobRecordAnnouncer(outbox: Pick<WebhookOutbox, 'emit'>): (record: AnyImageJobRecord) => Promise<void> {
  return async (record) => {
    const outcome = outcomeOf(record);
    const event = outcome && imageJobWebhookEvent({ jobId: record.id, name: record.name, payload: record.payload, outcome }, record.finishedAt);
    if (event) await outbox.emit(event);
  };
}
