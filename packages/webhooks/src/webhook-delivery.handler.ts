import { PermanentJobError, type JobContext, type JobHandlers, type WebhookDeliveryPayload, type WebhookDeliveryResult, type WebhookJobCatalog } from '@imageforge/jobs';
import { silentLogger, type QueueLogger } from '@imageforge/queue';
import { DEFAULT_RETRY_SCHEDULE_MS, MAX_RETRIES, type WebhookConfig } from './webhook-config';
import { targetKey, type WebhookDeliveryAttempt, type WebhookDeliveryLog } from './webhook-delivery-log.store';
import { parseRetryAfter, retryDelayMs, WebhookRetryError } from './webhook-retry-policy';
import { sendWebhook, type HostResolver, type WebhookResponse } from './webhook-sender';
import { webhookHeaders } from './webhook-signature';
import { webhookUrlProblem } from './webhook-url-policy';

export interface WebhookDeliveryDeps {
  /** Read at each attempt: secrets and URLs of endpoints come from here, never from the queue. */
  config: WebhookConfig;
  log: WebhookDeliveryLog;
  /** Waits after the first attempt; at most MAX_RETRIES. Default: Standard Webhooks' schedule. */
  retryScheduleMs?: readonly number[];
  /** Per attempt, connect to response headers. Default 15 s. */
  timeoutMs?: number;
  resolve?: HostResolver;
  logger?: QueueLogger;
  now?: () => number;
  random?: () => number;
  /** Told how each attempt ended (the worker's metrics). */
  onAttempt?: (outcome: WebhookAttemptOutcome) => void;
}

/** How one delivery attempt ended: `failed` and `disabled` are for good, `retrying` waits for the next attempt. */
export type WebhookAttemptOutcome = 'delivered' | 'retrying' | 'failed' | 'disabled';

const DEFAULT_TIMEOUT_MS = 15_000;

/** The handlers of the webhook catalog, for the `webhooks` queue's worker. */
export function createWebhookDeliveryHandlers(deps: WebhookDeliveryDeps): JobHandlers<WebhookJobCatalog> {
  const schedule = deps.retryScheduleMs ?? DEFAULT_RETRY_SCHEDULE_MS;
  if (schedule.length > MAX_RETRIES) throw new Error(`a webhook retry schedule has at most ${MAX_RETRIES} steps, not ${schedule.length}`);
  return { 'webhook.deliver': (payload, context) => deliver(deps, schedule, payload, context) };
}

async function deliver(
  deps: WebhookDeliveryDeps,
  schedule: readonly number[],
  payload: WebhookDeliveryPayload,
  context: JobContext,
): Promise<WebhookDeliveryResult> {
  const now = deps.now ?? Date.now;
  const logger = deps.logger ?? silentLogger;
  const id = context.jobId;
  const key = targetKey(payload.target);
  const ended = (outcome: WebhookAttemptOutcome) => deps.onAttempt?.(outcome);
  const fail = async (state: 'failed' | 'disabled', message: string): Promise<never> => {
    await deps.log.update(id, { state, lastError: message }, now());
    ended(state);
    throw new PermanentJobError(message);
  };

  const destination = resolveTarget(deps.config, payload);
  if ('problem' in destination) return fail('failed', destination.problem);
  if ((await deps.log.disabledAmong([key])).has(key)) return fail('disabled', `${describe(payload)} is disabled`);

  const body = JSON.stringify(payload.event);
  const sentAt = now();
  const response = await sendWebhook({
    url: destination.url,
    body,
    headers: webhookHeaders(destination.secret, payload.event.id, Math.floor(sentAt / 1000), body),
    timeoutMs: deps.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    allowPrivateAddresses: deps.config.allowPrivateAddresses,
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
  });
  const attempt: WebhookDeliveryAttempt = {
    attempt: context.attempt,
    at: sentAt,
    status: response.kind === 'response' ? response.status : null,
    latencyMs: response.latencyMs,
    ...(errorOf(response) ? { error: errorOf(response) } : {}),
  };

  if (response.kind === 'response' && response.status >= 200 && response.status < 300) {
    await deps.log.update(id, { state: 'delivered', attempt }, now());
    ended('delivered');
    return { status: response.status, attempt: context.attempt, deliveredAt: now() };
  }
  if (response.kind === 'response' && response.status === 410) {
    await deps.log.disable(key, `answered 410 to delivery ${id}`, now());
    logger.warn({ delivery: id, target: key }, 'webhook target answered 410 Gone; disabled, later events skip it');
    await deps.log.update(id, { state: 'disabled', attempt, lastError: attempt.error! }, now());
    ended('disabled');
    throw new PermanentJobError(attempt.error);
  }
  if (response.kind === 'refused') {
    await deps.log.update(id, { state: 'failed', attempt, lastError: attempt.error! }, now());
    ended('failed');
    throw new PermanentJobError(attempt.error);
  }
  const retryAfterMs = response.kind === 'response' ? parseRetryAfter(response.headers['retry-after'], now()) : undefined;
  const delayMs = retryDelayMs(schedule, context.attempt, retryAfterMs, deps.random);
  if (delayMs === undefined) {
    await deps.log.update(id, { state: 'failed', attempt, lastError: `${attempt.error!}; no attempts left` }, now());
    ended('failed');
    throw new PermanentJobError(`${attempt.error!} (attempt ${context.attempt}, the last)`);
  }
  await deps.log.update(id, { state: 'pending', attempt, lastError: attempt.error!, nextAttemptAt: now() + delayMs }, now());
  ended('retrying');
  throw new WebhookRetryError(attempt.error!, delayMs);
}

type Destination = { url: string; secret: string } | { problem: string };

/** The URL and secret to use now: endpoints may have been reconfigured since the event was queued. */
function resolveTarget(config: WebhookConfig, payload: WebhookDeliveryPayload): Destination {
  const { target } = payload;
  if (target.kind === 'endpoint') {
    const endpoint = config.endpoints.find((candidate) => candidate.id === target.endpointId);
    if (!endpoint) return { problem: `endpoint ${target.endpointId} is no longer configured` };
    return { url: endpoint.url, secret: endpoint.secret };
  }
  const problem = webhookUrlProblem(target.url, config);
  if (problem || !config.urlSecret) return { problem: `webhook_url ${target.url}: ${problem ?? 'no WEBHOOK_SECRET'}` };
  return { url: target.url, secret: config.urlSecret };
}

function describe(payload: WebhookDeliveryPayload): string {
  return payload.target.kind === 'endpoint' ? `endpoint ${payload.target.endpointId}` : `webhook_url ${payload.target.url}`;
}

/** What went wrong in words, for the log; undefined for a 2xx. */
function errorOf(response: WebhookResponse): string | undefined {
  switch (response.kind) {
    case 'response':
      if (response.status >= 200 && response.status < 300) return undefined;
      if (response.status >= 300 && response.status < 400) return `answered ${response.status} (redirects are not followed)`;
      return `answered ${response.status}`;
    case 'refused':
      return `refused: ${response.reason}`;
    case 'timeout':
      return `no answer within the timeout (${response.latencyMs} ms)`;
    case 'network':
      return response.message;
  }
}
