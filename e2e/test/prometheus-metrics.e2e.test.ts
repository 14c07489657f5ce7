import { randomUUID } from 'node:crypto';
import { dallE2Params } from '@imageforge/testing';
import { imageJobCatalog, VariationPayloadSchema } from '@imageforge/jobs';
import { createRedisConnection, JobQueue } from '@imageforge/queue';
import { API_METRICS, WORKER_METRICS, type MetricDeclaration } from '../../packages/ops/src/metrics/metric-names';
import { bodyOf, useImageStack } from './support/image-stack.harness';
import { bucketBounds, parsePrometheusText, sampleValue, type MetricFamily } from './support/prometheus-text';

const QUEUE_WAIT_BOUNDS = ['0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '60', '120', '300', '600', '1800', '3600', '7200', '21600', '86400', '+Inf'];
const RUN_BOUNDS = ['0.5', '1', '2', '3', '5', '7.5', '10', '15', '20', '30', '45', '60', '90', '120', '180', '300', '+Inf'];
/** What a key, a key's hash or a job, batch or file id looks like: none may be a label value. */
const IDENTIFIER = /^sk-|imgjob_|batch_|file-|^req_|^[0-9a-f]{16,}$/;

const models = [
  { id: 'dall-e-2', profile: 'dall-e-2', engine: { kind: 'synthetic' } },
  { id: 'slow-model', profile: 'dall-e-2', engine: { kind: 'synthetic', delayMsPerImage: 2_500 } },
  // Routed to a queue no worker serves: its jobs wait.
  { id: 'idle-model', profile: 'dall-e-2', queue: 'idle', engine: { kind: 'synthetic' } },
];

describe('Prometheus metrics of the API and of a worker', () => {
  const stack = useImageStack({
    models,
    apiEnv: { SYNC_TIMEOUT_MS: '1000', RATE_LIMIT_IMAGES_PER_MINUTE: '8' },
    workerEnv: { WORKER_QUEUES: 'images', WORKER_METRICS_PORT: '0' },
  });
  const generate = (body: object, headers: Record<string, string> = {}) =>
    stack.request('/v1/images/generations', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ size: '256x256', ...body }) });
  let api: Map<string, MetricFamily>;
  let worker: Map<string, MetricFamily>;

  /** A variation whose input is not in storage: the worker fails it for good (invalid_input), without retries. */
  async function enqueueFailingJob(): Promise<string> {
    const connection = createRedisConnection(stack.redis.target, { role: 'producer', connectionName: 'imageforge:e2e-metrics' });
    const queue = new JobQueue({ catalog: imageJobCatalog, connection, queueNames: ['images'] });
    const jobId = `imgjob_${randomUUID().replaceAll('-', '')}`;
    try {
      await queue.waitUntilReady();
      const payload = VariationPayloadSchema.parse({ requestId: 'req-metrics', owner: 'e2e', acceptedAt: Date.now(), params: dallE2Params(), lane: 'async', imageKey: `jobs/${jobId}/input/missing.png` });
      await queue.enqueue({ queue: 'images', name: 'image.variation', jobId, lane: 'async', payload });
      return jobId;
    } finally {
      await queue.close();
      connection.disconnect();
    }
  }

  /** Heartbeats as workers publish them (`<prefix>:{ops}:worker:<name>` and the `workers` set): one live, one lost. */
  async function publishHeartbeats(): Promise<void> {
    const redis = createRedisConnection(stack.redis.target, { role: 'consumer', connectionName: 'imageforge:e2e-heartbeats' });
    try {
      const now = Date.now();
      const beat = (name: string, heartbeatAt: number) => ({
        name, host: 'e2e', pid: 1, startedAt: now - 60_000, queues: ['images'], lanes: ['interactive', 'async', 'batch'],
        engines: [{ model: 'dall-e-2', kind: 'synthetic', device: 'cpu' }], state: 'busy', currentJobs: [], done: 0, failed: 0, heartbeatAt, intervalMs: 5_000,
      });
      for (const [name, at] of [['metrics-live', now], ['metrics-lost', now - 60_000]] as const) {
        await redis.set(`bull:{ops}:worker:${name}`, JSON.stringify(beat(name, at)), 'EX', 600);
        await redis.zadd('bull:{ops}:workers', at, name);
      }
    } finally {
      redis.disconnect();
    }
  }

  beforeAll(async () => {
    expect((await generate({ prompt: 'counted' })).status).toBe(200);
    expect((await generate({ prompt: 'later' }, { prefer: 'respond-async' })).status).toBe(202);
    expect((await generate({ prompt: 'waits', model: 'idle-model' }, { prefer: 'respond-async' })).status).toBe(202);
    const timedOut = await generate({ prompt: 'too slow', model: 'slow-model' });
    expect(timedOut.status).toBe(504);
    expect((await bodyOf(timedOut)).error.code).toBe('job_timeout');
    expect((await generate({ prompt: 'too many', n: 9 })).status).toBe(429);
    expect((await stack.request('/v1/nothing-here')).status).toBe(404);
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', new Blob([`${JSON.stringify({ custom_id: 'a', method: 'POST', url: '/v1/images/generations', body: { model: 'idle-model', prompt: 'batched', size: '256x256' } })}\n`]), 'lines.jsonl');
    const file = await bodyOf(await stack.request('/v1/files', { method: 'POST', body: form }));
    const batch = await stack.request('/v1/batches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/images/generations', completion_window: '24h' }) });
    expect(batch.status).toBe(200);
    const failing = await enqueueFailingJob();
    await publishHeartbeats();
    const deadline = Date.now() + 20_000;
    while ((await stack.jobState(failing)) !== 'failed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    // The slow job ends after its caller gave up; wait for it so its outcome is counted.
    while ((sampleValue(parsePrometheusText(await (await fetch(stack.workerMetricsUrl!)).text()), 'imageforge_jobs_finished_total', { model: 'slow-model' }) ?? 0) < 1) {
      if (Date.now() > deadline) throw new Error('the slow job never finished');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const scraped = await stack.request('/metrics', { key: null });
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    api = parsePrometheusText(await scraped.text());
    const workerScrape = await fetch(stack.workerMetricsUrl!);
    expect(workerScrape.status).toBe(200);
    worker = parsePrometheusText(await workerScrape.text());
  }, 60_000);

  const expectDeclared = (families: Map<string, MetricFamily>, declarations: Record<string, MetricDeclaration>) => {
    for (const { name, type, labels } of Object.values(declarations)) {
      expect({ name, type: families.get(name)?.type }).toEqual({ name, type });
      for (const sample of families.get(name)!.samples) expect(Object.keys(sample.labels).filter((label) => label !== 'le').sort()).toEqual([...labels].sort());
    }
  };

  it('declares every API metric with its type and labels, beside the default process metrics', () => {
    expectDeclared(api, API_METRICS);
    expect(sampleValue(api, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(1_000_000);
    expect(api.get('process_resident_memory_bytes')?.type).toBe('gauge');
  });

  it('counts enqueues by source, sync timeouts, 429s and requests by route pattern', () => {
    expect(sampleValue(api, 'imageforge_jobs_enqueued_total', { queue: 'images', lane: 'interactive', model: 'dall-e-2', source: 'sync' })).toBe(1);
    expect(sampleValue(api, 'imageforge_jobs_enqueued_total', { queue: 'images', lane: 'async', model: 'dall-e-2', source: 'async' })).toBe(1);
    expect(sampleValue(api, 'imageforge_sync_timeouts_total', { route: '/v1/images/generations' })).toBe(1);
    expect(sampleValue(api, 'imageforge_rate_limited_total', { limit: 'images' })).toBe(1);
    const requests = (labels: Record<string, string>) => sampleValue(api, 'imageforge_http_request_duration_seconds_count', labels);
    expect(requests({ route: '/v1/images/generations', mode: 'sync', status_class: '2xx' })).toBe(1);
    expect(requests({ route: '/v1/images/generations', mode: 'async', status_class: '2xx' })).toBe(2);
    expect(requests({ route: '/v1/images/generations', mode: 'sync', status_class: '4xx' })).toBe(1);
    expect(requests({ route: '/v1/images/generations', mode: 'sync', status_class: '5xx' })).toBe(1);
    expect(requests({ route: 'unmatched', mode: 'sync', status_class: '4xx' })).toBeGreaterThanOrEqual(1);
  });

  it('reads queue, lane-head and worker gauges of the whole deployment from Redis', () => {
    expect(sampleValue(api, 'imageforge_queue_jobs', { queue: 'idle', lane: 'async', state: 'waiting' })).toBe(1);
    expect(sampleValue(api, 'imageforge_queue_oldest_waiting_age_seconds', { queue: 'idle', lane: 'async' })).toBeGreaterThan(0);
    expect(sampleValue(api, 'imageforge_queue_oldest_waiting_age_seconds', { queue: 'images', lane: 'interactive' })).toBe(0);
    expect(sampleValue(api, 'imageforge_workers', { state: 'busy' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(api, 'imageforge_workers', { state: 'lost' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(api, 'imageforge_queue_live_workers', { queue: 'idle', lane: 'async' })).toBe(0);
    expect(sampleValue(api, 'imageforge_queue_live_workers', { queue: 'images', lane: 'batch' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(api, 'imageforge_worker_last_heartbeat_timestamp_seconds', { worker: 'metrics-live' })).toBeGreaterThan(Date.now() / 1000 - 120);
    // The one batch, in whichever status it has reached.
    const batches = api.get('imageforge_batches')!.samples;
    expect(batches.reduce((sum, sample) => sum + sample.value, 0)).toBe(1);
  });

  it('serves the worker registry on its own port: outcomes, failure classes, images, GPU-seconds and load time', () => {
    expectDeclared(worker, WORKER_METRICS);
    expect(sampleValue(worker, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(sampleValue(worker, 'imageforge_jobs_finished_total', { queue: 'images', lane: 'interactive', model: 'dall-e-2', outcome: 'succeeded' })).toBe(1);
    expect(sampleValue(worker, 'imageforge_jobs_finished_total', { queue: 'images', lane: 'async', model: 'dall-e-2', outcome: 'failed' })).toBe(1);
    expect(sampleValue(worker, 'imageforge_job_failures_total', { model: 'dall-e-2', error_class: 'invalid_input' })).toBe(1);
    expect(sampleValue(worker, 'imageforge_images_generated_total', { model: 'dall-e-2' })).toBe(2);
    expect(sampleValue(worker, 'imageforge_gpu_seconds_total', { model: 'slow-model', lane: 'interactive' })).toBeGreaterThan(2);
    expect(sampleValue(worker, 'imageforge_model_load_seconds_count', { engine: 'synthetic' })).toBe(2);
    expect(sampleValue(worker, 'imageforge_storage_upload_seconds_count', { model: 'dall-e-2' })).toBe(2);
    expect(sampleValue(worker, 'imageforge_webhook_deliveries_total', { outcome: 'delivered' })).toBe(0);
  });

  it('buckets queue wait and run time exactly as specified', () => {
    expect(bucketBounds(worker.get('imageforge_job_queue_wait_seconds')!, { queue: 'images', lane: 'interactive' })).toEqual(QUEUE_WAIT_BOUNDS);
    expect(bucketBounds(worker.get('imageforge_job_run_seconds')!, { model: 'dall-e-2', lane: 'interactive' })).toEqual(RUN_BOUNDS);
    expect(sampleValue(worker, 'imageforge_job_run_seconds_bucket', { model: 'slow-model', lane: 'interactive', le: '2' })).toBe(0);
    expect(sampleValue(worker, 'imageforge_job_run_seconds_bucket', { model: 'slow-model', lane: 'interactive', le: '+Inf' })).toBe(1);
  });

  it('labels nothing with a key, an owner or a job id', () => {
    for (const families of [api, worker]) {
      for (const family of families.values()) {
        for (const sample of family.samples) for (const value of Object.values(sample.labels)) expect({ metric: sample.name, value, identifier: IDENTIFIER.test(value) }).toMatchObject({ identifier: false });
      }
    }
  });
});
