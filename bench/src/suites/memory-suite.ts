import { imageJobCatalog } from '@imageforge/jobs';
import type { MemoryReading, MemoryResult } from '../bench-results';
import { readProcess } from '../processes/process-stats';
import { readApiHeap } from '../stack/api-heap';
import { BASELINE_WORKER_CONCURRENCY } from './baseline-suite';
import { withStack, type StackSession } from './stack-session';
import type { SuiteContext } from './suite-context';
import { BENCH_MODEL, errorHint } from './sync-suite';

const CLIENTS = 64;
/** Each half must finish within this, whatever the machine. */
const HALF_LIMIT_MS = 150_000;

/**
 * Reads API and worker RSS and Redis memory before, halfway through and after
 * `memoryJobs` sync generations. Growth over the second half is what a leak looks
 * like; the first half includes heaps and caches settling.
 */
export async function runMemorySuite(context: SuiteContext): Promise<MemoryResult> {
  const total = context.options.sizes.memoryJobs;
  return withStack(context, { name: 'memory', models: [{ id: BENCH_MODEL }], workerConcurrency: BASELINE_WORKER_CONCURRENCY }, async (session) => {
    const readings: MemoryReading[] = [await read(session, 'before', 0)];
    let done = 0;
    for (const [label, jobs] of [['halfway', Math.floor(total / 2)], ['after', total - Math.floor(total / 2)]] as const) {
      const run = await session.load.call(
        'sync',
        {
          baseUrl: session.stack.baseUrl,
          apiKey: session.stack.apiKey,
          body: session.body(BENCH_MODEL, 'b64_json'),
          timeoutMs: 30_000,
          loop: { concurrency: CLIENTS, warmupMs: 0, durationMs: HALF_LIMIT_MS, maxRequests: jobs },
        },
        HALF_LIMIT_MS + 60_000,
      );
      done += run.completed + run.errors;
      if (run.errors > 0) context.log(`memory: ${run.errors} errors${errorHint(run.errorSamples)}`);
      // Lets in-flight completions, retention trimming and the AOF buffer settle before reading.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      readings.push(await read(session, label, done));
    }
    const first = readings[0] as MemoryReading;
    const last = readings[readings.length - 1] as MemoryReading;
    const retainedGrowth = last.retainedJobs - first.retainedJobs;
    const { removeOnComplete } = imageJobCatalog['image.generate'].options;
    context.log(`memory: Redis +${last.redisUsedMemory - first.redisUsedMemory} bytes for ${retainedGrowth} retained jobs`);
    return {
      readings,
      redisBytesPerRetainedJob: retainedGrowth > 0 ? (last.redisUsedMemory - first.redisUsedMemory) / retainedGrowth : Number.NaN,
      retention: `completed jobs kept for ${removeOnComplete.age} s, at most ${removeOnComplete.count} (image.generate defaults)`,
    };
  });
}

async function read(session: StackSession, label: string, jobsSoFar: number): Promise<MemoryReading> {
  const { probe, stack } = session;
  const [completedKey, failedKey, eventsKey] = await Promise.all([
    probe.findQueueKey('images', 'completed'),
    probe.findQueueKey('images', 'failed'),
    probe.findQueueKey('images', 'events'),
  ]);
  const heap = await readApiHeap(stack);
  return {
    label,
    jobsSoFar,
    apiRssBytes: readProcess(stack.api.pid)?.rssBytes ?? Number.NaN,
    workerRssBytes: readProcess(stack.worker.pid)?.rssBytes ?? Number.NaN,
    apiHeapUsedBytes: heap.heapUsedBytes,
    redisUsedMemory: await probe.usedMemory(),
    retainedJobs: (await probe.zcard(completedKey)) + (await probe.zcard(failedKey)),
    eventsStreamLength: await probe.xlen(eventsKey),
  };
}
