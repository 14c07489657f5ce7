import { randomUUID } from 'node:crypto';
import { NormalizedImageParamsSchema, type NormalizedImageParams } from '@imageforge/contracts';
import {
  GeneratePayloadSchema,
  imageJobCatalog,
  ImageJobResultSchema,
  type ImageJobCatalog,
  type ImageJobPayload,
  type ImageJobResult,
  type JobHandlers,
  type JobLane,
} from '@imageforge/jobs';
import { useRedisServer, uniqueQueueName } from '@imageforge/testing';
import type { Queue } from 'bullmq';
import {
  CompletionWaiters,
  createJobWorker,
  createRedisConnection,
  DEFAULT_QUEUE_PREFIX,
  JobQueue,
  QueueJobEvents,
  queuePrefix,
  readJobRecord,
  type CompletionWaitersOptions,
  type JobWorkerOptions,
  type RedisClient,
  type WorkerHandle,
} from '../src';

export type ImageJobQueue = JobQueue<ImageJobCatalog>;
export type ImageJobHandlers = JobHandlers<ImageJobCatalog>;

/** The image catalog's producer on the given queues, as the API builds it. */
export function imageJobQueue(connection: RedisClient, queueNames: string[]): ImageJobQueue {
  return new JobQueue({ catalog: imageJobCatalog, connection, queueNames });
}

/** The BullMQ key prefix a queue's keys and client names start with under the default prefix. */
export function prefixOf(queueName: string): string {
  return queuePrefix(DEFAULT_QUEUE_PREFIX, queueName);
}

/** A worker running the image catalog with the given handlers. */
export function startImageWorker(options: Omit<JobWorkerOptions<ImageJobCatalog>, 'catalog'>): Promise<WorkerHandle> {
  return createJobWorker({ catalog: imageJobCatalog, ...options });
}

/** The job as services read it. */
export function readImageRecord(queue: Queue, jobId: string) {
  return readJobRecord(imageJobCatalog, queue, jobId, queue.opts.connection as RedisClient);
}

export interface WaitersUnderTest {
  waiters: CompletionWaiters;
  events: QueueJobEvents;
  close(): Promise<void>;
}

/** The API's arrangement: one job event stream on `connection`, waiters subscribed to it. */
export async function startWaiters(
  connection: RedisClient,
  queueNames: string[],
  options: Partial<Omit<CompletionWaitersOptions, 'events' | 'connection' | 'queueNames'>> & { closeTimeoutMs?: number } = {},
): Promise<WaitersUnderTest> {
  const { closeTimeoutMs, ...waiterOptions } = options;
  const events = new QueueJobEvents({ connection, queueNames, ...(closeTimeoutMs !== undefined ? { closeTimeoutMs } : {}) });
  const waiters = new CompletionWaiters({ events, connection, queueNames, ...waiterOptions });
  await events.waitUntilReady();
  return {
    waiters,
    events,
    async close() {
      waiters.close();
      await events.close();
    },
  };
}

/** Adds an image.generate job the way the API does. */
export function enqueueGenerate(queues: ImageJobQueue, queue: string, jobId: string, payload = generatePayload()) {
  return queues.enqueue({ queue, name: 'image.generate', payload, jobId });
}

export function imageParams(overrides: Partial<NormalizedImageParams> = {}): NormalizedImageParams {
  return NormalizedImageParamsSchema.parse({
    model: 'gpt-image-1',
    profile: 'gpt-image',
    n: 1,
    width: 64,
    height: 64,
    quality: 'low',
    responseFormat: 'b64_json',
    outputFormat: 'png',
    background: 'opaque',
    ...overrides,
  });
}

export function generatePayload(prompt = 'a red square'): ImageJobPayload<'image.generate'> {
  return GeneratePayloadSchema.parse({
    requestId: `req-${randomUUID()}`,
    owner: 'owner-hash',
    acceptedAt: Date.now(),
    params: imageParams(),
    prompt,
  });
}

/** A result whose key tells which job and attempt produced it. */
export function resultFor(jobId: string, attempt = 1): ImageJobResult {
  return ImageJobResultSchema.parse({
    images: [{ key: `jobs/${jobId}/output/0.png`, contentType: 'image/png', width: 64, height: 64, bytes: 100 + attempt }],
    finishedAt: Date.now(),
  });
}

export function newJobId(): string {
  return `job-${randomUUID()}`;
}

type GenerateHandler = ImageJobHandlers['image.generate'];

/** Every job name answered by the same handler; tests only enqueue `image.generate`. */
export function handlersFrom(generate: GenerateHandler): ImageJobHandlers {
  const unexpected = async (): Promise<ImageJobResult> => {
    throw new Error('unexpected job kind in this test');
  };
  return { 'image.generate': generate, 'image.edit': unexpected, 'image.variation': unexpected };
}

/** Tracks connections made in a test so afterEach can close them all. */
export class ConnectionPool {
  private readonly open: RedisClient[] = [];

  producer(url: string, name?: string): RedisClient {
    return this.track(createRedisConnection(url, { role: 'producer', ...(name ? { connectionName: name } : {}) }));
  }

  consumer(url: string, name?: string, reconnectMinDelayMs?: number): RedisClient {
    return this.track(
      createRedisConnection(url, {
        role: 'consumer',
        ...(name ? { connectionName: name } : {}),
        ...(reconnectMinDelayMs ? { reconnectMinDelayMs, reconnectMaxDelayMs: reconnectMinDelayMs } : {}),
      }),
    );
  }

  track(connection: RedisClient): RedisClient {
    connection.on('error', () => undefined);
    this.open.push(connection);
    return connection;
  }

  closeAll(): void {
    for (const connection of this.open.splice(0)) connection.disconnect();
  }
}

export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A real redis-server for the file and, per test, a fresh queue with its producer.
 * `current` is refreshed before each test; `cleanups` run in reverse after it.
 */
export function useQueueUnderTest(prefix: string) {
  const redis = useRedisServer();
  const pool = new ConnectionPool();
  const cleanups: Array<() => Promise<void>> = [];
  const current = { queueName: '', queues: undefined as unknown as ImageJobQueue };

  beforeEach(async () => {
    current.queueName = uniqueQueueName(prefix);
    current.queues = imageJobQueue(pool.producer(redis.url), [current.queueName]);
    await current.queues.waitUntilReady();
    const queues = current.queues;
    cleanups.push(() => queues.close());
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    pool.closeAll();
  });

  return { redis, pool, cleanups, current };
}

/** A generation on `queueName` in `lane`, for tests of lane routing and order. */
export function laneJobRequest(queueName: string, lane: JobLane, owner = 'owner-a') {
  return { queue: queueName, name: 'image.generate' as const, payload: { ...generatePayload(), lane }, jobId: newJobId(), lane, owner };
}
