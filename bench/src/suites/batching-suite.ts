import { encodeImage } from '../../../packages/engine-core/src/image-codec';
import type { RawImage } from '../../../packages/engine-core/src/image-engine';
import { createOnnxEngine } from '../../../packages/engine-onnx/src/onnx-engine';
import { writeConvUNet } from '../../../packages/engine-onnx/test/fixtures/conv-unet';
import { type TinySdModel, writeTinySdModel } from '../../../packages/engine-onnx/test/fixtures/tiny-sd-model';
import { parseWorkerConfig } from '@imageforge/worker/src/worker-config';
import { startWorker } from '@imageforge/worker/src/worker-runtime';
import { prepareServiceEnv } from '../stack/app-stack';
import { waitForApiReady } from '../stack/api-ready';
import { ServiceProcess } from '../stack/service-process';
import { stopOnInterrupt, withRedis, type SuiteContext } from './suite-context';

/** Conv UNet widths: narrow, where a step is mostly fixed cost per call, and wide, where compute dominates. */
const WIDTHS = [32, 128] as const;
const STEPS = 8;
const MAX_BATCH = 4;
const CLIENTS = 16;
/**
 * A slot per client: a batch's jobs store their outputs together while the next batch runs, and
 * each client's next request is on its way back meanwhile, so 2 × maxBatch slots held batches of
 * about 2 here; with every client's job in the worker they come near maxBatch.
 */
const WORKER_CONCURRENCY = CLIENTS;
const WINDOW_MS = 5;
/** 32×32 latents. */
const SIZE = 256;

interface BenchEngine {
  kind: 'onnx';
  modelDir: string;
  steps: number;
  guidanceScale: number;
  maxBatch: number;
}

export interface BatchingRun {
  width: number;
  batching: boolean;
  round: number;
  requests: number;
  wallMs: number;
  imagesPerSecond: number;
  /** Engine calls the device lock granted: a shared batch counts once. */
  engineRuns: number;
  /** UNet calls per image per step: engine runs × steps / images / steps, 1 when nothing is shared. */
  unetCallsPerImageStep: number;
  /** Share of the wall time the device lock was held: below 1, the device was not what limited the run. */
  deviceBusyShare: number;
}

export interface BatchingSummary {
  width: number;
  imagesPerSecondOn: number;
  imagesPerSecondOff: number;
  speedup: number;
  unetCallsPerImageStepOn: number;
  unetCallsPerImageStepOff: number;
  deviceBusyShareOn: number;
  deviceBusyShareOff: number;
  /** The same ONNX Runtime calls and PNG encodes in a loop in this process, one image at a time. */
  standaloneImagesPerSecond: number;
  /** The worker with batching on, through the API, over that loop. */
  onVsStandalone: number;
  /** That loop with maxBatch images per `generateMany`: what batching gains the engine alone. */
  standaloneBatchedImagesPerSecond: number;
}

export interface BatchingResult {
  steps: number;
  maxBatch: number;
  workerConcurrency: number;
  clients: number;
  windowMs: number;
  size: string;
  runs: BatchingRun[];
  summary: BatchingSummary[];
}

/**
 * Dynamic batching on the onnx engine on CPU: tiny SD folders built here with a conv UNet of each
 * width, 16 sync clients through the API (a child process) to a worker in this process, batching
 * on (BATCH_WINDOW_MS 5) and off (0) alternately in the same run; then the engine alone in a loop.
 */
export async function runBatchingSuite(context: SuiteContext): Promise<BatchingResult> {
  const requests = context.options.quick ? 16 : 48;
  const rounds = context.options.quick ? 1 : 2;
  const folders: TinySdModel[] = [];
  try {
    const models: Array<{ width: number; id: string; engine: BenchEngine }> = [];
    for (const width of WIDTHS) {
      const folder = await writeTinySdModel({ scalingFactor: 8 });
      folders.push(folder);
      await writeConvUNet(folder.dir, width);
      models.push({ width, id: `bench-batching-${width}`, engine: { kind: 'onnx' as const, modelDir: folder.dir, steps: STEPS, guidanceScale: 7.5, maxBatch: MAX_BATCH } });
    }
    const registry = models.map((m) => ({ id: m.id, profile: 'dall-e-2', queue: 'images', engine: m.engine }));
    const runs: BatchingRun[] = await withRedis(context, 'batching', async (redis) => {
      const { env, baseUrl, apiKey } = await prepareServiceEnv({ name: 'batching', workDir: context.workDir, redisUrl: redis.url, models: registry, workerConcurrency: WORKER_CONCURRENCY });
      const api = ServiceProcess.start({ name: 'api', entry: 'apps/api/src/main.ts', cwd: context.repoRoot, env });
      const unregister = stopOnInterrupt(() => api.stop());
      try {
        await waitForApiReady(baseUrl);
        const measured: BatchingRun[] = [];
        for (let round = 1; round <= rounds; round += 1) {
          for (const model of models) {
            for (const batching of [true, false]) {
              const run = await measureWorker({ env, baseUrl, apiKey, model: model.id, batching, requests });
              measured.push({ ...run, width: model.width, round });
              context.log(`batching ${batching ? 'on' : 'off'}, width ${model.width}, round ${round}: ${run.imagesPerSecond.toFixed(2)} images/s, ${run.unetCallsPerImageStep.toFixed(2)} UNet calls per image-step`);
            }
          }
        }
        api.assertAlive();
        return measured;
      } finally {
        await api.stop();
        unregister();
      }
    });
    const summary: BatchingSummary[] = [];
    for (const model of models) {
      const standalone = await standaloneLoop(model.engine, requests, 1);
      const standaloneBatched = await standaloneLoop(model.engine, requests, MAX_BATCH);
      context.log(`standalone loop, width ${model.width}: ${standalone.toFixed(2)} images/s at batch 1, ${standaloneBatched.toFixed(2)} at batch ${MAX_BATCH}`);
      const of = (batching: boolean) => runs.filter((run) => run.width === model.width && run.batching === batching);
      const on = median(of(true).map((run) => run.imagesPerSecond));
      const off = median(of(false).map((run) => run.imagesPerSecond));
      summary.push({
        width: model.width,
        imagesPerSecondOn: on,
        imagesPerSecondOff: off,
        speedup: on / off,
        unetCallsPerImageStepOn: median(of(true).map((run) => run.unetCallsPerImageStep)),
        unetCallsPerImageStepOff: median(of(false).map((run) => run.unetCallsPerImageStep)),
        deviceBusyShareOn: median(of(true).map((run) => run.deviceBusyShare)),
        deviceBusyShareOff: median(of(false).map((run) => run.deviceBusyShare)),
        standaloneImagesPerSecond: standalone,
        onVsStandalone: on / standalone,
        standaloneBatchedImagesPerSecond: standaloneBatched,
      });
    }
    return { steps: STEPS, maxBatch: MAX_BATCH, workerConcurrency: WORKER_CONCURRENCY, clients: CLIENTS, windowMs: WINDOW_MS, size: `${SIZE}x${SIZE}`, runs, summary };
  } finally {
    await Promise.all(folders.map((folder) => folder.remove()));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}


/** Starts a worker, warms it with one round of clients, then times `requests` sync generations from 16 clients. */
async function measureWorker(run: { env: Record<string, string>; baseUrl: string; apiKey: string; model: string; batching: boolean; requests: number }): Promise<Omit<BatchingRun, 'width' | 'round'>> {
  const config = parseWorkerConfig({ ...run.env, BATCH_WINDOW_MS: run.batching ? String(WINDOW_MS) : '0', LOG_LEVEL: 'warn', RETENTION_SWEEP_INTERVAL_MS: '0' });
  const worker = await startWorker(config);
  try {
    const lock = worker.engines.deviceLocks().get('cpu');
    if (!lock) throw new Error('the onnx engine did not run behind a device lock');
    await generate(run, CLIENTS);
    const runsBefore = lock.runs;
    const busyBefore = lock.busyTimeMs;
    const started = performance.now();
    await generate(run, run.requests);
    const wallMs = performance.now() - started;
    const engineRuns = lock.runs - runsBefore;
    return {
      batching: run.batching,
      requests: run.requests,
      wallMs,
      imagesPerSecond: (run.requests * 1000) / wallMs,
      engineRuns,
      unetCallsPerImageStep: engineRuns / run.requests,
      deviceBusyShare: Math.min(1, (lock.busyTimeMs - busyBefore) / wallMs),
    };
  } finally {
    await worker.close();
  }
}

/** `count` sync generations of one image each, from CLIENTS clients, every prompt different. */
async function generate(run: { baseUrl: string; apiKey: string; model: string }, count: number): Promise<void> {
  let next = 0;
  const client = async () => {
    while (next < count) {
      next += 1;
      const response = await fetch(`${run.baseUrl}/v1/images/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${run.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: run.model, prompt: `a harbour at dawn, study ${next}`, size: `${SIZE}x${SIZE}`, response_format: 'b64_json' }),
      });
      if (response.status !== 200) throw new Error(`generation answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
}

/**
 * The engine's own calls, `batch` one-image requests per call (1: `generate`, more: `generateMany`),
 * each image PNG-encoded as the worker does, in a loop: no API, queue or storage.
 */
async function standaloneLoop(engineConfig: BenchEngine, requests: number, batch: number): Promise<number> {
  const engine = createOnnxEngine(engineConfig);
  await engine.load();
  try {
    const request = { model: 'bench', n: 1, width: SIZE, height: SIZE, quality: 'standard', background: 'auto' as const, output: { format: 'png' as const } };
    const call = async (first: number) => {
      const runs = Array.from({ length: batch }, (_, k) => ({
        request: { ...request, seed: first + k, prompt: `a harbour at dawn, study ${first + k}` },
        options: { signal: new AbortController().signal },
      }));
      const results = batch === 1 ? [await engine.generate(runs[0]!.request, runs[0]!.options)] : await engine.batching.generateMany(runs);
      for (const result of results) {
        if (result instanceof Error) throw result;
        // The onnx engine hands back RGBA pixels.
        await encodeImage(result.images[0] as RawImage, { format: 'png', background: 'opaque' });
      }
    };
    for (let i = 0; i < 2; i++) await call(i * batch);
    const started = performance.now();
    for (let i = 0; i < requests; i += batch) await call(i);
    return (requests * 1000) / (performance.now() - started);
  } finally {
    await engine.close();
  }
}
