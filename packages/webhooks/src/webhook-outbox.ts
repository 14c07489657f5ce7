import { createHash, randomBytes } from 'node:crypto';
import { webhookJobCatalog, WEBHOOKS_QUEUE, type EnqueueRequest, type WebhookEventBody, type WebhookEventType, type WebhookJobCatalog, type WebhookTarget } from '@imageforge/jobs';
import { JobQueue, silentLogger, type QueueLogger, type RedisClient } from '@imageforge/queue';
import { eventMatches, type WebhookConfig } from './webhook-config';
import { targetKey, WebhookDeliveryLog, type NewWebhookDelivery } from './webhook-delivery-log.store';

/** An event to announce. Its id is the caller's and deterministic, so a re-run step emits the same event again. */
export interface WebhookEvent {
  /** `evt_…`; also the `webhook-id` receivers deduplicate on. */
  id: string;
  type: WebhookEventType;
  /** Unix seconds. */
  createdAt: number;
  /** Whose event it is (the API key's hash): endpoints bound to another owner do not get it. */
  owner: string;
  /** `{ id: <batch or job id>, … }`; small, never image bytes. */
  data: Record<string, unknown> & { id: string };
  /** A request's own `webhook_url`, already checked against the allowed hosts. */
  url?: string;
}

export interface WebhookOutboxOptions {
  /** A producer connection in the API, a worker's connection in workers; the outbox never closes it. */
  connection: RedisClient;
  /** QUEUE_PREFIX. Default `bull`. */
  prefix?: string;
  config: Pick<WebhookConfig, 'endpoints'>;
  /** Default: one on the same connection and prefix. */
  log?: WebhookDeliveryLog;
  logger?: QueueLogger;
}

/** The body receivers get, in the shape of OpenAI's webhook events. */
export function toWebhookEventBody(event: WebhookEvent): WebhookEventBody {
  return { object: 'event', id: event.id, type: event.type, created_at: event.createdAt, data: event.data };
}

/** The same event to the same target always gets the same delivery id; BullMQ then adds it once. */
export function deliveryIdFor(eventId: string, target: WebhookTarget): string {
  return `whd_${createHash('sha256').update(`${eventId}\n${targetKey(target)}`).digest('hex').slice(0, 40)}`;
}

/**
 * Turns events into delivery jobs on the `webhooks` queue, one per matching target.
 * Callers emit in the same step that changes state, before their own job is recorded
 * as done: a crash re-runs the step and the emit, and deterministic delivery ids make
 * the second emit add nothing.
 */
export class WebhookOutbox {
  readonly log: WebhookDeliveryLog;
  /** The producer of delivery jobs, for reads (tests, bull-board). */
  readonly jobs: JobQueue<WebhookJobCatalog>;
  private readonly endpoints: WebhookOutboxOptions['config']['endpoints'];
  private readonly logger: QueueLogger;

  constructor(options: WebhookOutboxOptions) {
    const prefix = options.prefix;
    this.jobs = new JobQueue({ catalog: webhookJobCatalog, connection: options.connection, queueNames: [WEBHOOKS_QUEUE], lanes: ['interactive'], ...(prefix ? { prefix } : {}) });
    this.log = options.log ?? new WebhookDeliveryLog({ connection: options.connection, ...(prefix ? { prefix } : {}) });
    this.endpoints = options.config.endpoints;
    this.logger = options.logger ?? silentLogger;
  }

  /** Where an event goes: every endpoint whose filter and owner take it, and its own URL. */
  targetsFor(event: Pick<WebhookEvent, 'type' | 'owner' | 'url'>): WebhookTarget[] {
    const targets: WebhookTarget[] = this.endpoints
      .filter((endpoint) => (endpoint.owner === undefined || endpoint.owner === event.owner) && eventMatches(endpoint.events, event.type))
      .map((endpoint) => ({ kind: 'endpoint', endpointId: endpoint.id }));
    if (event.url) targets.push({ kind: 'url', url: event.url });
    return targets;
  }

  /** Queues one delivery per target not disabled; emitting the same event again queues nothing new. */
  async emit(event: WebhookEvent): Promise<void> {
    const targets = this.targetsFor(event);
    if (targets.length === 0) return;
    const disabled = await this.log.disabledAmong(targets.map(targetKey));
    const live = targets.filter((target) => !disabled.has(targetKey(target)));
    if (live.length < targets.length) this.logger.info({ event: event.id, skipped: [...disabled] }, 'webhook targets disabled; not delivering to them');
    const body = toWebhookEventBody(event);
    await this.queue(live.map((target) => ({ id: deliveryIdFor(event.id, target), event: body, target, owner: event.owner, createdAt: Date.now() })));
  }

  /**
   * Queues the event of delivery `id` again, to the same target, under a new id; the
   * target is enabled again first (an operator replaying a delivery wants it sent).
   * Null when the log no longer holds the delivery.
   */
  async replay(id: string): Promise<string | null> {
    const original = await this.log.get(id);
    if (!original) return null;
    const replayId = `whd_${randomBytes(20).toString('hex')}`;
    await this.log.enable(targetKey(original.target));
    await this.queue([{ id: replayId, event: original.event, target: original.target, owner: original.owner, createdAt: Date.now(), replayOf: id }]);
    return replayId;
  }

  /** Records come first: a delivery that runs at once then finds its record to update. */
  private async queue(deliveries: NewWebhookDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.log.create(deliveries);
    const requests: EnqueueRequest<WebhookJobCatalog, 'webhook.deliver'>[] = deliveries.map((delivery) => ({
      queue: WEBHOOKS_QUEUE,
      name: 'webhook.deliver',
      jobId: delivery.id,
      payload: { event: delivery.event, target: delivery.target, owner: delivery.owner },
      owner: delivery.owner,
    }));
    await this.jobs.enqueueBulk(requests);
  }

  /** Closes the outbox's queue; the connection stays open for its owner. */
  async close(): Promise<void> {
    await this.jobs.close();
  }
}
