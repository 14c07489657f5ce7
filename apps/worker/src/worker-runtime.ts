import { randomBytes } from 'node:crypto';
import { pino, type Logger } from 'pino';
import { loadModelRegistry, type ModelRegistry } from '@imageforge/contracts';
import { batchLineTally, BatchPhaseQueue, BatchStore, createBatchJobHandlers } from '@imageforge/batches';
import { FileService, imageFileResolver } from '@imageforge/files';
import { ImageJobPreparer, ImageRequestBuilder } from '@imageforge/image-service';
import { createEngine, createImageJobHandlers, EngineSet } from '@imageforge/image-pipeline';
import {
  BATCH_QUEUE,
  JOB_LANES,
  batchJobCatalog,
  composeSettledHooks,
  imageJobCatalog,
  MAINTENANCE_QUEUE,
  maintenanceJobCatalog,
  webhookJobCatalog,
  WEBHOOKS_QUEUE,
  type ImageJobCatalog,
  type JobCatalog,
  type JobHandlers,
} from '@imageforge/jobs';
import { createMaintenanceJobHandlers } from '@imageforge/maintenance';
import { countingJobGateway, createWorkerMetrics, enqueueHistoryCounter, laneDepthSampler, opsHistoryHook, OpsHistoryRecorder, WorkerHeartbeatPublisher } from '@imageforge/ops';
import { BullmqJobGateway, createJobWorker, deadlineEndingCounter, RedisEventCounters, RedisLease, RedisPaceBook, createLaneWorkers, createRedisConnection, JobQueue, laneQueueName, type JobWorkerOptions, type RedisClient, type WorkerHandle, type WorkerJobEvent } from '@imageforge/queue';
import { createObjectStorage, LocalObjectStorage, type ObjectStorage } from '@imageforge/storage';
import { jobSlotReleaseHook } from '@imageforge/tenancy';
import { createWebhookDeliveryHandlers, imageJobWebhookHook, webhookBackoffStrategy, WebhookOutbox } from '@imageforge/webhooks';
import type { WorkerConfig, WorkerStorageConfig } from './worker-config';
import { startMetricsServer, type MetricsServer } from './metrics-server';

export interface StartWorkerOptions {
  /** Default: a pino logger at `config.log.level`. */
  logger?: Logger;
}

export interface RunningWorker {
  /** Image queues this process consumes. */
  readonly queues: readonly string[];
  readonly engines: EngineSet;
  /** Where this worker serves its Prometheus metrics (WORKER_METRICS_PORT); undefined: not served. */
  readonly metricsUrl: string | undefined;
  /**
   * Stops taking jobs, lets running ones finish within `config.worker.shutdownTimeoutMs`
   * (past it they are handed back to the queue), then closes engines, storage and connections.
   */
  close(): Promise<void>;
}

/** One sweep schedule for the whole deployment: every worker upserts the same id. */
const SWEEP_SCHEDULER_ID = 'retention-sweep';
const FILE_EXPIRY_SCHEDULER_ID = 'file-expiry';
const SWEEP_LEASE_TTL_MS = 5 * 60_000;

/**
 * Builds everything a worker process runs and starts consuming. Engines load
 * before any queue is consumed: a worker that cannot serve its models refuses to
 * start rather than take jobs and fail them. Besides its image queues, every worker
 * also serves the small maintenance queue.
 */
export async function startWorker(config: WorkerConfig, options: StartWorkerOptions = {}): Promise<RunningWorker> {
  const logger = options.logger ?? pino({ name: 'worker', level: config.log.level });
  const registry = loadModelRegistry(config.models.registryPath);
  const queues = servedQueues(registry, config.queues);
  const storage = buildStorage(config.storage);
  const engines = EngineSet.forQueues(registry, queues, (engine) => createEngine(engine, { env: config.engineEnv }), {
    // With one slot no second generation can be waiting to join.
    batchWindowMs: config.worker.concurrency > 1 ? config.worker.batchWindowMs : 0,
  });
  const connections: RedisClient[] = [];
  const workers: WorkerHandle[] = [];
  let lookups: JobQueue<typeof imageJobCatalog> | undefined;
  let maintenance: JobQueue<typeof maintenanceJobCatalog> | undefined;
  let webhooks: WebhookOutbox | undefined;
  let batchPhases: JobQueue<typeof batchJobCatalog> | undefined;
  let lineJobs: JobQueue<typeof imageJobCatalog> | undefined;
  // Observed in memory whether or not served: no Redis write per observation.
  const metrics = createWorkerMetrics();
  let metricsServer: MetricsServer | undefined;

  const connect = (name: string): RedisClient => {
    const connection = createRedisConnection(config.redis, { role: 'consumer', connectionName: `imageforge:worker:${config.worker.name}:${name}` });
    connection.on('error', (error) => logger.warn({ err: error, connection: name }, 'redis connection error'));
    connections.push(connection);
    return connection;
  };

  // Ops data: the heartbeat (written from the start, `loading` until engines are up) and, with OPS_HISTORY, the history buckets.
  const opsConnection = connect('ops');
  const opsHistory = config.ops.history
    ? new OpsHistoryRecorder({ redis: opsConnection, prefix: config.queuePrefix, onFlushError: (error) => logger.warn({ err: error }, 'writing the ops history failed; that second of counts is lost') })
    : undefined;
  const countLineJobs = opsHistory ? enqueueHistoryCounter(opsHistory, logger) : undefined;
  // Lane depths ride on the heartbeat once the lookups queue exists.
  let sampleDepths: (() => Promise<void>) | undefined;
  const heartbeat = new WorkerHeartbeatPublisher({
    redis: opsConnection,
    prefix: config.queuePrefix,
    name: config.worker.name,
    queues,
    lanes: [...JOB_LANES],
    intervalMs: config.ops.heartbeatIntervalMs,
    logger,
    onBeat: async () => {
      await sampleDepths?.();
    },
  });
  const engineList = () =>
    engines.describe().flatMap((entry) => entry.models.map((model) => ({ model, kind: entry.config.kind, device: entry.description?.device ?? 'loading' })));

  const workerSettings = {
    prefix: config.queuePrefix,
    name: config.worker.name,
    maxStalledCount: config.worker.maxStalledCount,
    ...(config.worker.lockDurationMs !== undefined ? { lockDuration: config.worker.lockDurationMs } : {}),
    ...(config.worker.stalledIntervalMs !== undefined ? { stalledInterval: config.worker.stalledIntervalMs } : {}),
  };

  const startQueueWorker = async <C extends JobCatalog>(
    catalog: C,
    handlers: JobHandlers<C>,
    queueName: string,
    concurrency: number,
    extra: Pick<JobWorkerOptions<C>, 'backoffStrategy'> = {},
  ) => {
    workers.push(
      await createJobWorker({
        catalog,
        handlers,
        connection: connect(queueName),
        queueName,
        concurrency,
        ...workerSettings,
        logger: logger.child({ queue: queueName }),
        onJobEvent: (event) => logJobEvent(logger, queueName, event),
        ...extra,
      }),
    );
  };

  const shutdown = async () => {
    await heartbeat.drain();
    await Promise.all(workers.map((worker) => worker.close(config.worker.shutdownTimeoutMs)));
    await heartbeat.close();
    await opsHistory?.close().catch((error: unknown) => logger.warn({ err: error }, 'writing the last ops history failed'));
    await engines.closeAll().catch((error) => logger.error({ err: error }, 'closing engines failed'));
    await metricsServer?.close();
    await Promise.all([lookups?.close(), maintenance?.close(), webhooks?.close(), batchPhases?.close(), lineJobs?.close()].map((closing) => closing?.catch(() => undefined)));
    // QUIT waits for a reconnect while Redis is down (consumers retry forever): give it a second.
    await Promise.all(
      connections.map((connection) =>
        Promise.race([connection.quit(), new Promise((resolve) => setTimeout(resolve, 1_000).unref())])
          .catch(() => undefined)
          .finally(() => connection.disconnect()),
      ),
    );
    if ('close' in storage && typeof storage.close === 'function') storage.close();
  };

  try {
    heartbeat.setEngines(engineList());
    await heartbeat.start();
    await engines.loadAll();
    heartbeat.setEngines(engineList());
    heartbeat.ready();
    for (const entry of engines.describe()) {
      logger.info({ models: entry.models, engine: entry.config, loaded: entry.description, seconds: entry.loadSeconds }, 'engine loaded');
      if (entry.loadSeconds !== null) metrics.engineLoaded(entry.config.kind, entry.loadSeconds);
    }
    await storage.ping().catch((error) => logger.warn({ err: error, storage: storage.kind }, 'storage is not reachable yet; jobs will retry until it is'));
    const pace = new RedisPaceBook({ redis: connect('pace'), prefix: config.queuePrefix });
    const imageHandlers = createImageJobHandlers({ storage, engines, maxInputPixels: config.models.maxInputPixels, pace, previews: config.previews, onRunTimed: metrics.runTimed });
    // Emitted in the step that settles a job, before BullMQ records it: a crash re-runs both.
    webhooks = new WebhookOutbox({ connection: connect('webhooks-outbox'), prefix: config.queuePrefix, config: config.webhooks, logger });
    const batchConnection = connect('batches');
    const batchStore = new BatchStore({ redis: batchConnection, prefix: config.queuePrefix });
    batchPhases = new JobQueue({ catalog: batchJobCatalog, connection: batchConnection, queueNames: [BATCH_QUEUE], lanes: ['interactive'], prefix: config.queuePrefix });
    const phases = new BatchPhaseQueue(batchPhases);
    const imageSettled = composeSettledHooks<ImageJobCatalog>(
      imageJobWebhookHook(webhooks),
      batchLineTally({ store: batchStore, phases }),
      // A settled job gives back the owner's concurrency slot the API took for it.
      jobSlotReleaseHook({ redis: batchConnection, prefix: config.queuePrefix }),
      // Expired and deadline-exceeded endings, counted for every API's GET /metrics.
      deadlineEndingCounter(new RedisEventCounters({ redis: batchConnection, prefix: config.queuePrefix })),
      metrics.imageSettled,
      opsHistory ? opsHistoryHook({ history: opsHistory, tracker: heartbeat.tracker, logger }) : undefined,
    );
    const inputs = new ImageJobPreparer(storage);
    const releaseInputs = async ({ jobId }: { jobId: string }) => {
      const released = await inputs.releaseInputs(jobId);
      if (released.length > 0) logger.debug({ jobId, keys: released }, 'job inputs deleted');
    };
    // Each image queue's lanes share its WORKER_CONCURRENCY slots through one gate.
    for (const queueName of queues) {
      const lanes = await createLaneWorkers({
        catalog: imageJobCatalog,
        handlers: imageHandlers,
        connection: connect(queueName),
        queue: queueName,
        concurrency: config.worker.concurrency,
        minShares: config.worker.minShares,
        ...workerSettings,
        logger: logger.child({ queue: queueName }),
        onJobEvent: (event, lane) => {
          logJobEvent(logger, laneQueueName(queueName, lane), event);
          metrics.jobEvent(queueName, lane, event);
          heartbeat.tracker.onJobEvent(queueName, lane, event);
        },
        onSettled: imageSettled,
        // After the record, not in the settled hook: a job that crashed before BullMQ recorded it runs again and needs them.
        ...(config.retention.deleteInputsOnFinish ? { onRecorded: releaseInputs } : {}),
      });
      workers.push(...lanes.handles);
      for (const { worker, lane } of lanes.handles) worker.on('stalled', () => metrics.stalled(queueName, lane));
    }

    // Batch phases: any worker validates, expands and finalizes any batch, whatever models it serves.
    lineJobs = new JobQueue({ catalog: imageJobCatalog, connection: batchConnection, queueNames: registry.queues(), prefix: config.queuePrefix });
    const files = new FileService({ redis: batchConnection, storage, prefix: config.queuePrefix });
    const batchHandlers = createBatchJobHandlers({
      store: batchStore,
      files,
      storage,
      requests: new ImageRequestBuilder({ registry, maxInputPixels: config.models.maxInputPixels, resolveFile: imageFileResolver(files, storage) }),
      preparer: new ImageJobPreparer(storage, Date.now, config.deadlines),
      lineJobs: countingJobGateway(new BullmqJobGateway({ queue: lineJobs, connection: batchConnection }), (requests) => {
        metrics.enqueued(requests);
        countLineJobs?.(requests);
      }),
      phases,
      events: webhooks,
      chunkSize: config.batches.chunkSize,
    });
    await startQueueWorker(batchJobCatalog, batchHandlers, BATCH_QUEUE, config.batches.phaseConcurrency);

    // The sweep asks about every queue of the registry, not only those served here.
    const shared = connect('maintenance');
    lookups = new JobQueue({ catalog: imageJobCatalog, connection: shared, queueNames: registry.queues(), prefix: config.queuePrefix });
    if (opsHistory) sampleDepths = laneDepthSampler(lookups, queues, opsHistory);
    const maintenanceHandlers = createMaintenanceJobHandlers({
      storage,
      existingJobIds: (ids) => lookups!.existingJobIds(ids),
      // Renewed every page: a sweep that died frees the next one within the ttl.
      lease: new RedisLease({ redis: shared, prefix: config.queuePrefix, name: SWEEP_SCHEDULER_ID, ttlMs: SWEEP_LEASE_TTL_MS }),
      logger: logger.child({ queue: MAINTENANCE_QUEUE }),
      expireFiles: (nowSeconds, pageSize) => files.sweepExpired(nowSeconds, pageSize),
    });
    await startQueueWorker(maintenanceJobCatalog, maintenanceHandlers, MAINTENANCE_QUEUE, 1);
    const { retryScheduleMs, concurrency: deliveryConcurrency } = config.webhookDelivery;
    const deliveryHandlers = createWebhookDeliveryHandlers({ config: config.webhooks, log: webhooks.log, retryScheduleMs, logger: logger.child({ queue: WEBHOOKS_QUEUE }), onAttempt: metrics.webhookAttempt });
    await startQueueWorker(webhookJobCatalog, deliveryHandlers, WEBHOOKS_QUEUE, deliveryConcurrency, { backoffStrategy: webhookBackoffStrategy(retryScheduleMs) });
    if (config.retention.sweepIntervalMs > 0) {
      maintenance = new JobQueue({ catalog: maintenanceJobCatalog, connection: shared, queueNames: [MAINTENANCE_QUEUE], lanes: ['interactive'], prefix: config.queuePrefix });
      await maintenance.schedule({
        queue: MAINTENANCE_QUEUE,
        name: 'maintenance.sweep',
        schedulerId: SWEEP_SCHEDULER_ID,
        everyMs: config.retention.sweepIntervalMs,
        payload: { minAgeSeconds: config.retention.minAgeSeconds, pageSize: 500, outputMaxAgeSeconds: Math.ceil(config.retention.outputHours * 3600) },
      });
      await maintenance.schedule({
        queue: MAINTENANCE_QUEUE,
        name: 'maintenance.expire-files',
        schedulerId: FILE_EXPIRY_SCHEDULER_ID,
        everyMs: config.retention.sweepIntervalMs,
        payload: { pageSize: 500 },
      });
    }
    if (config.metrics.port !== undefined) {
      metricsServer = await startMetricsServer(metrics.registry, config.metrics.host, config.metrics.port);
      logger.info({ url: metricsServer.url }, 'worker metrics listening');
    }
  } catch (error) {
    await shutdown().catch(() => undefined);
    throw error;
  }

  logger.info(
    { worker: config.worker.name, queues, models: engines.models(), concurrency: config.worker.concurrency, storage: storage.kind },
    'worker started',
  );
  let closing: Promise<void> | undefined;
  return {
    queues,
    engines,
    metricsUrl: metricsServer?.url,
    close: () => (closing ??= shutdown().then(() => logger.info({ worker: config.worker.name }, 'worker stopped'))),
  };
}

function servedQueues(registry: ModelRegistry, requested: readonly string[] | undefined): string[] {
  if (!requested) return registry.queues();
  const empty = requested.filter((queue) => registry.modelsOnQueue(queue).length === 0);
  if (empty.length > 0) {
    throw new Error(`WORKER_QUEUES names ${empty.join(', ')}, which no model in the registry is routed to (queues: ${registry.queues().join(', ')})`);
  }
  return [...requested];
}

function buildStorage(config: WorkerStorageConfig): ObjectStorage & { close?(): void } {
  if (config.kind === 's3') return createObjectStorage(config);
  // The worker only reads inputs and writes outputs; links are the API's job. A secret nobody else holds
  // makes any link this process might sign unusable instead of valid under a guessable key.
  return new LocalObjectStorage({ root: config.root, publicBaseUrl: 'http://worker.invalid', signingSecret: randomBytes(32).toString('hex') });
}

function logJobEvent(logger: Logger, queue: string, event: WorkerJobEvent): void {
  const { type, ...fields } = event;
  switch (type) {
    case 'started':
      logger.info({ queue, ...fields }, 'job started');
      return;
    case 'failed':
      logger.warn({ queue, ...fields, err: event.error, error: undefined }, 'job failed');
      return;
    default:
      logger.info({ queue, ...fields }, `job ${type.replace('_', ' ')}`);
  }
}
