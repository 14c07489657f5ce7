import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { loadModelRegistry } from '@imageforge/contracts';
import { deadlineDefaultsFromEnv, redisTargetFromEnv } from '@imageforge/env-config';
import { BatchPhaseQueue, BatchService, BatchStore, resignOutputLinks } from '@imageforge/batches';
import { FileService, imageFileResolver } from '@imageforge/files';
import { ImageJobPreparer, ImageJobQueryService, ImageJobWatchService, ImageRequestBuilder, ImageSubmissionService } from '@imageforge/image-service';
import { BATCH_QUEUE, batchJobCatalog, imageJobCatalog, imageJobRetention, type AnyImageJobRecord } from '@imageforge/jobs';
import { BullmqJobGateway, CompletionWaiters, createRedisConnection, JobQueue, QueueJobEvents, RedisEventCounters, RedisPaceBook } from '@imageforge/queue';
import { BullmqOpsActions, countingJobGateway, createApiMetrics, enqueueHistoryCounter, OpsHistoryRecorder, readLaneHeadAges, readWorkerHeartbeats, RedisOpsReader } from '@imageforge/ops';
import { createStorageProbe, LocalObjectStorage } from '@imageforge/storage';
import { ApiKeyService, RateLimiter } from '@imageforge/tenancy';
import { imageJobRecordAnnouncer, webhookConfigFromEnv, WebhookOutbox } from '@imageforge/webhooks';
import type { ApiEnv } from './api-config';
import { createAdminDashboard } from './admin-dashboard';
import { answerClientError } from './client-error';
import { createApp } from './create-app';
import { createObjectStorage, storageConfigFromEnv } from './storage-from-env';

export interface ApiRuntime {
  server: Server;
  /** Base URL the server answers on, e.g. http://127.0.0.1:8080. */
  url: string;
  logger: Logger;
  /** Resolves once the producer's Redis connection is up; until then requests that queue work answer 503. */
  redisReady(): Promise<void>;
  /** Stops in order: new connections, sync waiters (answered with their job ids), in-flight requests (`deadlineMs`), queues, Redis. */
  close(deadlineMs?: number): Promise<void>;
}

/** Wires the API by hand from its parsed config and starts listening. */
export async function startApi(env: ApiEnv, logger: Logger = pino({ level: env.LOG_LEVEL })): Promise<ApiRuntime> {
  const registry = loadModelRegistry(env.MODEL_REGISTRY_PATH);
  const queueNames = registry.queues();
  const webhookConfig = webhookConfigFromEnv(env);
  const redis = redisTargetFromEnv(env);
  const prefix = env.QUEUE_PREFIX;
  const producer = createRedisConnection(redis, { role: 'producer', connectionName: 'imageforge:api' });
  const consumer = createRedisConnection(redis, { role: 'consumer', connectionName: 'imageforge:api-events' });
  producer.on('error', (error) => logger.debug({ err: error }, 'redis producer connection error'));
  consumer.on('error', (error) => logger.debug({ err: error }, 'redis consumer connection error'));
  // Records outlive their images (RETENTION_OUTPUT_HOURS), so a late poll hears they are gone.
  const queue = new JobQueue({ catalog: imageJobCatalog, connection: producer, queueNames, prefix, logger, retention: imageJobRetention(env.RETENTION_OUTPUT_HOURS) });
  // The process's one job event stream; sync waiters are its first subscriber.
  const events = new QueueJobEvents({ connection: consumer, queueNames, prefix, logger });
  const waiters = new CompletionWaiters({ events, connection: consumer, queueNames, prefix, logger });

  const server = createServer();
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.PORT, env.HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST;
  const url = `http://${host}:${port}`;
  const storage = createObjectStorage(storageConfigFromEnv(env, env.PUBLIC_BASE_URL ?? url));
  const gateway = new BullmqJobGateway({ queue, waiters, connection: producer });
  const webhooks = new WebhookOutbox({ connection: producer, prefix, config: webhookConfig, logger });
  const files = new FileService({
    redis: producer,
    storage,
    prefix,
    // Image links in batch output are stored unsigned and signed as the file is read.
    contentTransforms: { batch_output: resignOutputLinks(storage, env.URL_TTL_SECONDS) },
  });
  const batchPhases = new JobQueue({ catalog: batchJobCatalog, connection: producer, queueNames: [BATCH_QUEUE], lanes: ['interactive'], prefix, logger });

  const rateLimits = new RateLimiter({
    redis: producer,
    prefix,
    defaults: {
      requestsPerMinute: env.RATE_LIMIT_REQUESTS_PER_MINUTE,
      imagesPerMinute: env.RATE_LIMIT_IMAGES_PER_MINUTE,
      concurrentJobs: env.RATE_LIMIT_CONCURRENT_JOBS,
      dailyImages: env.QUOTA_DAILY_IMAGES,
    },
  });
  const announceCancelled = imageJobRecordAnnouncer(webhooks);
  // Read by polls (estimates) and by sync submissions (backpressure).
  const pace = new RedisPaceBook({ redis: producer, prefix });
  const counters = new RedisEventCounters({ redis: producer, prefix });
  const batchStore = new BatchStore({ redis: producer, prefix });
  const metrics = createApiMetrics({
    queues: queueNames,
    syncWaiters: () => waiters.size,
    queueJobCounts: () => queue.laneJobCounts(),
    eventCounts: () => counters.read(),
    laneHeadAges: () => readLaneHeadAges(producer, prefix, queueNames),
    heartbeats: () => readWorkerHeartbeats(producer, prefix),
    batchCounts: () => batchStore.countByStatus(),
  });

  const whenCancelled = async (record: AnyImageJobRecord) => {
    await announceCancelled(record);
    await rateLimits.releaseJob(record.payload.owner, record.id);
    // Its inputs would otherwise wait for the record's removal; a cancelled job never runs again.
    if (env.RETENTION_DELETE_INPUTS_ON_FINISH) await new ImageJobPreparer(storage).releaseInputs(record.id).catch(() => undefined);
  };
  // Ops data: queued jobs counted into the history buckets (OPS_HISTORY), the dashboard's reader and actions.
  const historyRecorder = env.OPS_HISTORY
    ? new OpsHistoryRecorder({ redis: producer, prefix, onFlushError: (error) => logger.warn({ err: error }, 'writing the ops history failed; that second of counts is lost') })
    : undefined;
  const opsHistory = historyRecorder ? enqueueHistoryCounter(historyRecorder, logger) : undefined;
  const ops = {
    reader: new RedisOpsReader({
      queue,
      connection: producer,
      prefix,
      models: registry.entries.map((entry) => ({ id: entry.id, queue: entry.queue })),
      batches: batchStore,
      signedUrl: (key: string) => storage.signedUrl(key, { expiresInSeconds: 300 }),
    }),
    actions: new BullmqOpsActions({
      queue,
      connection: producer,
      prefix,
      logger,
      // An operator's cancel ends a job as a caller's does: webhook, concurrency slot, inputs.
      cancel: async (jobId: string, reason: string) => {
        const outcome = await gateway.cancel(jobId, { reason });
        const record = outcome === 'cancelled' ? await gateway.read(jobId) : null;
        if (record?.status === 'cancelled') await whenCancelled(record);
        return outcome;
      },
    }),
  };

  // Jobs cancelled before they started never reach a worker: their event goes out, and their concurrency slot comes back, from here.
  const jobs = new ImageJobQueryService({
    gateway,
    storage,
    urlTtlSeconds: env.URL_TTL_SECONDS,
    outputRetentionHours: env.RETENTION_OUTPUT_HOURS,
    onCancelled: whenCancelled,
    pace,
  });
  const app = createApp({
    registry,
    requests: new ImageRequestBuilder({ registry, maxInputPixels: env.MAX_INPUT_PIXELS, resolveFile: imageFileResolver(files, storage) }),
    submissions: new ImageSubmissionService({
      // Only submissions queue image jobs: polls and cancels keep the plain gateway.
      gateway: countingJobGateway(gateway, (requests) => {
        metrics.enqueued(requests);
        opsHistory?.(requests);
      }),
      storage,
      urlTtlSeconds: env.URL_TTL_SECONDS,
      events,
      deadlines: deadlineDefaultsFromEnv(env),
      pace,
      counters,
      ...(env.CANCEL_ABANDONED_SYNC_JOBS ? { cancelAbandoned: (jobId: string, reason: string) => jobs.cancelUnstarted(jobId, reason) } : {}),
    }),
    jobs,
    // The event stream's second subscriber: one SSE view per watched job.
    jobWatches: new ImageJobWatchService({ jobs, events, storage, urlTtlSeconds: env.URL_TTL_SECONDS }),
    webhooks: { outbox: webhooks, urlPolicy: webhookConfig },
    files,
    batches: new BatchService({
      store: batchStore,
      files,
      phases: new BatchPhaseQueue(batchPhases),
      completionWindowSeconds: env.BATCH_COMPLETION_WINDOW_SECONDS,
    }),
    localObjects: storage instanceof LocalObjectStorage ? storage : undefined,
    readiness: {
      redis: async () => {
        await producer.ping();
      },
      storage: createStorageProbe(storage),
    },
    metrics,
    ops,
    apiKeys: env.API_KEYS,
    // With auth on, keys made through the admin API (on any process) are accepted beside API_KEYS.
    managedKeys: env.API_KEYS.length > 0 || env.ADMIN_KEY ? new ApiKeyService({ redis: producer, prefix }) : undefined,
    rateLimits,
    adminDashboard: env.ADMIN_KEY
      ? {
          adminKey: env.ADMIN_KEY,
          readOnly: env.DASHBOARD_READ_ONLY,
          router: createAdminDashboard([queue, batchPhases, webhooks.jobs].flatMap((jobs) => jobs.laneQueues.map(({ bull }) => bull))),
        }
      : undefined,
    limits: { syncTimeoutMs: env.SYNC_TIMEOUT_MS, maxRequestBytes: env.MAX_REQUEST_BYTES },
    logger,
  });
  server.on('request', app);
  // Long sync waits must not be cut by Node's default request timeout.
  server.requestTimeout = env.SYNC_TIMEOUT_MS + 60_000;
  server.keepAliveTimeout = 65_000;

  if (env.API_KEYS.length === 0 && !env.ADMIN_KEY) logger.warn({ host: env.HOST }, 'no API_KEYS configured: authentication is off, listening on loopback only');
  if (!env.ADMIN_KEY) logger.info('ADMIN_KEY unset: /admin (dashboard, webhook deliveries, key management) is off');
  logger.info({ url, queues: queueNames, storage: storage.kind, models: registry.entries.length }, 'api listening');

  return {
    server,
    url,
    logger,
    redisReady: () => (producer.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => producer.once('ready', () => resolve()))),
    async close(deadlineMs = 10_000) {
      // Stop accepting, then release every sync waiter (each answers 503 naming its job,
      // which goes on), then give in-flight requests until the deadline before cutting them.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      waiters.close();
      await events.close();
      // A keep-alive socket whose answer just went out would otherwise hold the close open until the
      // deadline: close each one as soon as it is idle, so a restart lasts as long as the work in flight.
      const idle = setInterval(() => server.closeIdleConnections(), 25);
      const timer = setTimeout(() => server.closeAllConnections(), deadlineMs);
      await closed;
      clearInterval(idle);
      clearTimeout(timer);
      await historyRecorder?.close().catch((error: unknown) => logger.warn({ err: error }, 'writing the last ops history failed'));
      await queue.close();
      await batchPhases.close();
      await webhooks.close();
      if ('close' in storage && typeof storage.close === 'function') storage.close();
      await Promise.allSettled([producer.quit(), consumer.quit()]);
      // QUIT fails while Redis is unreachable, and ioredis would then reconnect forever.
      for (const connection of [producer, consumer]) if (connection.status !== 'end') connection.disconnect();
    },
  };
}
