import { collectDefaultMetrics, Registry } from 'prom-client';
import type { EventCount, JobLane } from '@imageforge/jobs';
import { JOB_LANES } from '@imageforge/jobs';
import { WORKER_STATES, type WorkerHeartbeat } from '../ops-views';
import { isHeartbeatLost } from './heartbeat-reader';
import type { LaneHeadAge } from './lane-head-age';
import { counterOf, gaugeOf, histogramOf } from './metric-factory';
import { API_METRICS, HTTP_DURATION_BUCKETS } from './metric-names';
import { enqueueCounter, type EnqueueCounter } from './enqueue-counter';

/** What an API process reads at scrape time; each source that throws (Redis down) fails the scrape. */
export interface ApiMetricSources {
  /** Model queues of the registry: every lane of each gets its series, zeros included. */
  queues: readonly string[];
  syncWaiters(): number;
  /** BullMQ state -> count for each lane of each model queue. */
  queueJobCounts(): Promise<Array<{ queue: string; lane: string; counts: Record<string, number> }>>;
  eventCounts?(): Promise<EventCount[]>;
  laneHeadAges?(): Promise<LaneHeadAge[]>;
  heartbeats?(): Promise<WorkerHeartbeat[]>;
  /** Batch status -> count over the deployment. */
  batchCounts?(): Promise<Record<string, number>>;
}

export type HttpMode = 'sync' | 'async' | 'stream';
/** Which per-key limit refused a request. */
export type RateLimitKind = 'requests' | 'images' | 'concurrency' | 'quota';

export interface ApiMetrics {
  readonly registry: Registry;
  /** Counts image jobs this API queued (`imageforge_jobs_enqueued_total`). */
  readonly enqueued: EnqueueCounter;
  syncTimedOut(route: string): void;
  rateLimited(limit: RateLimitKind): void;
  httpRequest(labels: { route: string; mode: HttpMode; statusClass: string }, seconds: number): void;
}

/**
 * The API's registry: prom-client's default process metrics, what this process counts, and
 * deployment-wide gauges collected from Redis when Prometheus scrapes. Lanes and states, never
 * owners or job ids: every label comes from a bounded set.
 */
export function createApiMetrics(sources: ApiMetricSources): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const lanes = sources.queues.flatMap((queue) => JOB_LANES.map((lane) => ({ queue, lane })));

  gaugeOf(registry, API_METRICS.syncWaiters, function () {
    this.set(sources.syncWaiters());
  });
  gaugeOf(registry, API_METRICS.queueJobs, async function () {
    const counts = await sources.queueJobCounts();
    this.reset();
    for (const { queue, lane, counts: byState } of counts) for (const [state, count] of Object.entries(byState)) this.set({ queue, lane, state }, count);
  });
  const { eventCounts, laneHeadAges, heartbeats, batchCounts } = sources;
  if (batchCounts) {
    gaugeOf(registry, API_METRICS.batches, async function () {
      const counts = await batchCounts();
      this.reset();
      for (const [status, count] of Object.entries(counts)) this.set({ status }, count);
    });
  }
  if (eventCounts) {
    // Counts live in Redis (every API shows the deployment's), so each scrape restates them.
    counterOf(registry, API_METRICS.jobEvents, async function () {
      const counts = await eventCounts();
      this.reset();
      for (const { event, queue, lane, count } of counts) this.inc({ event, queue, lane }, count);
    });
  }
  if (laneHeadAges) {
    gaugeOf(registry, API_METRICS.oldestWaitingAge, async function () {
      const ages = await laneHeadAges();
      this.reset();
      for (const { queue, lane, ageSeconds } of ages) this.set({ queue, lane }, ageSeconds);
    });
  }
  if (heartbeats) registerWorkerGauges(registry, heartbeats, lanes);

  const syncTimeouts = counterOf(registry, API_METRICS.syncTimeouts);
  const rateLimited = counterOf(registry, API_METRICS.rateLimited);
  const http = histogramOf(registry, API_METRICS.httpDuration, HTTP_DURATION_BUCKETS);
  return {
    registry,
    enqueued: enqueueCounter(counterOf(registry, API_METRICS.jobsEnqueued)),
    syncTimedOut: (route) => syncTimeouts.inc({ route }),
    rateLimited: (limit) => rateLimited.inc({ limit }),
    httpRequest: ({ route, mode, statusClass }, seconds) => http.observe({ route, mode, status_class: statusClass }, seconds),
  };
}

/** Heartbeats read once per scrape feed all three worker gauges. */
function registerWorkerGauges(registry: Registry, heartbeats: () => Promise<WorkerHeartbeat[]>, lanes: ReadonlyArray<{ queue: string; lane: JobLane }>): void {
  let pending: Promise<WorkerHeartbeat[]> | undefined;
  // prom-client starts every collect callback of a scrape in one tick: the three share one read.
  const read = () => {
    pending ??= heartbeats().finally(() => {
      pending = undefined;
    });
    return pending;
  };
  gaugeOf(registry, API_METRICS.workers, async function () {
    const listed = await read();
    const now = Date.now();
    this.reset();
    for (const state of [...WORKER_STATES, 'lost']) this.set({ state }, 0);
    for (const heartbeat of listed) this.inc({ state: isHeartbeatLost(heartbeat, now) ? 'lost' : heartbeat.state });
  });
  gaugeOf(registry, API_METRICS.laneWorkers, async function () {
    const live = (await read()).filter((heartbeat) => !isHeartbeatLost(heartbeat));
    this.reset();
    for (const { queue, lane } of lanes) {
      this.set({ queue, lane }, live.filter((heartbeat) => heartbeat.queues.includes(queue) && heartbeat.lanes.includes(lane)).length);
    }
  });
  gaugeOf(registry, API_METRICS.workerHeartbeat, async function () {
    const listed = await read();
    this.reset();
    for (const heartbeat of listed) this.set({ worker: heartbeat.name }, heartbeat.heartbeatAt / 1000);
  });
}
