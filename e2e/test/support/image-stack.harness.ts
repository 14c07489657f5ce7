import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseApiEnv, startApi, type ApiRuntime } from '@imageforge/api';
import type { RedisTarget } from '@imageforge/queue';
import {
  createS3Bucket,
  RedisClusterProcess,
  RedisServerProcess,
  s3rverStorageEnv,
  startS3Server,
  uniqueBucketName,
  type RunningS3Server,
} from '@imageforge/testing';
import { parseWorkerConfig } from '@imageforge/worker/src/worker-config';
import { startWorker, type RunningWorker } from '@imageforge/worker/src/worker-runtime';
import { readEveryLane } from './queue-inspector';

export interface ImageStackOptions {
  storage?: 'local' | 's3';
  /** Empty: auth off (loopback mode). Default: one key, API_KEY below. */
  apiKeys?: string[];
  /** Registry entries (the file form's `models`), or a function making them before start; default: the built-in registry. */
  models?: unknown[] | (() => Promise<unknown[]>);
  /** Extra API environment. */
  apiEnv?: Record<string, string>;
  /** Extra worker environment. */
  workerEnv?: Record<string, string>;
  workerConcurrency?: number;
  /** Start no worker: jobs stay queued. */
  withoutWorker?: boolean;
  /** `cluster`: a 3-master Redis Cluster, reached through REDIS_CLUSTER_NODES. Default: one redis-server. */
  redis?: 'server' | 'cluster';
  /** The API's logger, for tests that read what it logs. Default: silent. */
  apiLogger?: pino.Logger;
}

export const API_KEY = 'sk-test-0123456789abcdef';
const silent = pino({ level: 'silent' });

/**
 * The real stack in-process for one test file: redis-server on a free port, the
 * API app and a worker, on local storage or S3 over the real protocol (s3rver).
 */
export function useImageStack(options: ImageStackOptions = {}) {
  // Redis and S3 are started and stopped here rather than by their own hooks, so they
  // outlive the API and worker: jest runs afterAll hooks in the order they were added.
  let redisServer: RedisServerProcess | undefined;
  let redisCluster: RedisClusterProcess | undefined;
  let s3: RunningS3Server | undefined;
  const redis = {
    get url(): string {
      if (!redisServer) throw new Error('redis-server not started');
      return redisServer.url;
    },
    get server(): RedisServerProcess {
      if (!redisServer) throw new Error('redis-server not started');
      return redisServer;
    },
    get cluster(): RedisClusterProcess {
      if (!redisCluster) throw new Error('redis cluster not started');
      return redisCluster;
    },
    /** Where the API and worker reach Redis, in the form the queue package takes. */
    get target(): RedisTarget {
      return redisCluster ? { clusterNodes: redisCluster.nodes } : { url: redis.url };
    },
    /** The variables that point the API and worker at it. */
    get env(): Record<string, string> {
      return redisCluster ? { REDIS_CLUSTER_NODES: redisCluster.nodesSpec } : { REDIS_URL: redis.url };
    },
  };
  let api: ApiRuntime | undefined;
  let worker: RunningWorker | undefined;
  let dir = '';
  let storageEnv: Record<string, string> = {};

  const startWorkerProcess = async () => {
    worker = await startWorker(
      parseWorkerConfig({
        ...redis.env,
        WORKER_CONCURRENCY: String(options.workerConcurrency ?? 4),
        LOG_LEVEL: 'silent',
        ...(options.models ? { MODEL_REGISTRY_PATH: join(dir, 'models.json') } : {}),
        ...storageEnv,
        ...options.workerEnv,
      }),
      { logger: silent },
    );
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'imageforge-e2e-'));
    if (options.models) {
      const models = typeof options.models === 'function' ? await options.models() : options.models;
      writeFileSync(join(dir, 'models.json'), JSON.stringify({ models }));
    }
    if (options.redis === 'cluster') redisCluster = await RedisClusterProcess.start();
    else redisServer = await RedisServerProcess.start();
    if (options.storage === 's3') {
      s3 = await startS3Server();
      const bucket = uniqueBucketName('e2e');
      await createS3Bucket(s3.endpoint, bucket);
      storageEnv = s3rverStorageEnv(s3.endpoint, bucket);
    } else {
      storageEnv = { STORAGE_DRIVER: 'local', STORAGE_LOCAL_DIR: join(dir, 'objects') };
    }
    api = await startApiProcess();
    if (!options.withoutWorker) await startWorkerProcess();
  });

  /** An API on this stack's Redis and storage; the API listens before Redis is up, so this waits for it. */
  const startApiProcess = async (extraEnv: Record<string, string> = {}): Promise<ApiRuntime> => {
    const started = await startApi(
      parseApiEnv({
        PORT: '0',
        ...redis.env,
        API_KEYS: (options.apiKeys ?? [API_KEY]).join(','),
        STORAGE_SIGNING_SECRET: 'e2e-signing-secret-0123456789',
        LOG_LEVEL: 'silent',
        ...(options.models ? { MODEL_REGISTRY_PATH: join(dir, 'models.json') } : {}),
        ...storageEnv,
        ...options.apiEnv,
        ...extraEnv,
      }),
      options.apiLogger ?? silent,
    );
    await started.redisReady();
    return started;
  };
  const extraApis: ApiRuntime[] = [];

  afterAll(async () => {
    await Promise.all(extraApis.map((extra) => extra.close(1_000)));
    await api?.close(1_000);
    await worker?.close();
    await redisServer?.stop();
    await redisCluster?.stop();
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  return {
    redis,
    get url(): string {
      if (!api) throw new Error('stack not started');
      return api.url;
    },
    get dir(): string {
      return dir;
    },
    startWorker: startWorkerProcess,
    /** The running worker's own /metrics (set `WORKER_METRICS_PORT` in workerEnv); undefined when not served. */
    get workerMetricsUrl(): string | undefined {
      return worker?.metricsUrl;
    },
    /** A second (third, …) API process sharing this stack's Redis and storage, closed with the stack. */
    async startAnotherApi(extraEnv: Record<string, string> = {}): Promise<{ url: string }> {
      const extra = await startApiProcess(extraEnv);
      extraApis.push(extra);
      return { url: extra.url };
    },
    /** What a worker started as its own process needs to serve this stack (Redis, storage, models). */
    get workerProcessEnv(): Record<string, string> {
      return {
        ...redis.env,
        WORKER_CONCURRENCY: String(options.workerConcurrency ?? 4),
        ...(options.models ? { MODEL_REGISTRY_PATH: join(dir, 'models.json') } : {}),
        ...storageEnv,
        ...options.workerEnv,
      };
    },
    /**
     * Starts a fresh redis-server on the port of the one a test stopped, and adopts it, so
     * it is stopped after the API and the worker. A test that stops it itself closes the
     * API during an outage, whose connections then never stop reconnecting.
     */
    async restartRedis(): Promise<RedisServerProcess> {
      if (!redisServer) throw new Error('redis-server not started');
      redisServer = await RedisServerProcess.start({ port: redisServer.port });
      return redisServer;
    },
    /** Ids of the jobs in a BullMQ state in any lane of the queue, read straight from Redis. */
    async jobIds(state: 'active' | 'wait', queueName = 'images'): Promise<string[]> {
      const lanes = await readEveryLane(redis.target, queueName, async (queue) => (await queue.getJobs([state])).map((job) => String(job.id)));
      return lanes.flat();
    },
    /** Stops the API as SIGTERM would (its in-flight sync callers get their answers first). */
    async stopApi() {
      await api?.close(1_000);
      api = undefined;
    },
    /** State of a job in BullMQ in whichever lane of the queue holds it (`unknown`: none), read straight from Redis. */
    async jobState(jobId: string, queueName = 'images'): Promise<string> {
      const states = await readEveryLane(redis.target, queueName, (queue) => queue.getJobState(jobId));
      return states.find((state) => state !== 'unknown') ?? 'unknown';
    },
    /** The lane queue holding a job, read straight from Redis. */
    async jobLane(jobId: string, queueName = 'images'): Promise<string | undefined> {
      const names = await readEveryLane(redis.target, queueName, async (queue) => ((await queue.getJobState(jobId)) === 'unknown' ? undefined : queue.name));
      return names.find((name) => name !== undefined);
    },
    async stopWorker() {
      await worker?.close();
      worker = undefined;
    },
    /** fetch against the API with the test key. */
    request(path: string, init: RequestInit & { key?: string | null } = {}): Promise<Response> {
      const headers = new Headers(init.headers);
      const key = init.key === undefined ? API_KEY : init.key;
      if (key !== null) headers.set('authorization', `Bearer ${key}`);
      return fetch(`${this.url}${path}`, { ...init, headers });
    },
  };
}

/** The body of an API answer; tests assert on its shape, so it is read untyped. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function bodyOf(response: Response): Promise<any> {
  return response.json();
}
