import { randomBytes, randomUUID } from 'node:crypto';
import { webhookJobCatalog, WEBHOOKS_QUEUE } from '@imageforge/jobs';
import { createJobWorker, createRedisConnection, type RedisClient, type WorkerHandle } from '@imageforge/queue';
import {
  createWebhookDeliveryHandlers,
  webhookBackoffStrategy,
  WebhookDeliveryLog,
  WebhookOutbox,
  type WebhookConfig,
  type WebhookDeliveryDeps,
  type WebhookEvent,
} from '../src';

export const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/** A consumer connection that is ready, as the outbox's enqueue requires. */
export async function readyConnection(url: string): Promise<RedisClient> {
  const connection = createRedisConnection(url, { role: 'consumer', connectionName: 'webhooks-test' });
  if (connection.status !== 'ready') await new Promise((resolve) => connection.once('ready', resolve));
  return connection;
}

/** A key prefix of its own, so each test's queue and log start empty. */
export const uniquePrefix = (): string => `t${randomUUID().replace(/-/g, '').slice(0, 12)}`;

export function event(overrides: Partial<WebhookEvent> = {}): WebhookEvent {
  const id = overrides.id ?? `evt_${randomUUID()}`;
  return { id, type: 'image.job.succeeded', createdAt: Math.floor(Date.now() / 1000), owner: 'owner-a', data: { id: 'imgjob_1', status: 'succeeded' }, ...overrides };
}

export interface DeliveryRig {
  outbox: WebhookOutbox;
  log: WebhookDeliveryLog;
  worker: WorkerHandle;
  close(): Promise<void>;
}

/** The outbox and a delivery worker on one prefix, as a worker process runs them. */
export async function startDeliveryRig(
  connection: RedisClient,
  config: WebhookConfig,
  options: Partial<Pick<WebhookDeliveryDeps, 'retryScheduleMs' | 'timeoutMs' | 'resolve'>> & { handlerConfig?: WebhookConfig } = {},
): Promise<DeliveryRig> {
  const { handlerConfig, ...deliveryOptions } = options;
  const prefix = uniquePrefix();
  const log = new WebhookDeliveryLog({ connection, prefix });
  const outbox = new WebhookOutbox({ connection, prefix, config, log });
  const schedule = options.retryScheduleMs ?? [50, 50];
  const worker = await createJobWorker({
    catalog: webhookJobCatalog,
    handlers: createWebhookDeliveryHandlers({ config: handlerConfig ?? config, log, ...deliveryOptions, retryScheduleMs: schedule }),
    connection,
    queueName: WEBHOOKS_QUEUE,
    prefix,
    concurrency: 4,
    backoffStrategy: webhookBackoffStrategy(schedule),
  });
  return {
    outbox,
    log,
    worker,
    async close() {
      await worker.close(1_000);
      await outbox.close();
    },
  };
}

/** Polls the log until the delivery has left `pending`. */
export async function settledDelivery(log: WebhookDeliveryLog, id: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await log.get(id);
    if (record && record.state !== 'pending') return record;
    if (Date.now() > deadline) throw new Error(`delivery ${id} still ${record?.state ?? 'missing'} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
