import { readProcess, ProcessSampler } from '../processes/process-stats';
import { commandDelta, type RedisProbe } from '../stack/redis-probe';
import { stopOnInterrupt, type SuiteContext } from '../suites/suite-context';
import { BatchClient, generationsJsonl } from './batch-client';
import type { BatchDrainResult, BatchExpansionResult, BatchMemoryResult, BatchSubmitResult } from './batch-result';
import { BatchStack } from './batch-stack';
import { BatchWatch, lineJobIds } from './batch-watch';

/** The model the lines name, on the cached synthetic engine with no delay: the worker's own cost only. */
export const LINE_MODEL = 'dall-e-2';
/** A queue only the phase worker serves, so it runs batch phases and no image job. */
const PHASES_ONLY_QUEUE = 'bench-phases-only';
const TERMINAL = new Set(['completed', 'failed', 'expired', 'cancelled']);

export interface LargeBatchRun {
  submit: BatchSubmitResult;
  expansion: BatchExpansionResult;
  memory: BatchMemoryResult;
  drain: Omit<BatchDrainResult, 'baseline'>;
}

const rss = (pid: number) => readProcess(pid)?.rssBytes ?? Number.NaN;

/**
 * One batch of `lines` lines end to end. A worker that serves only the batch phases
 * validates and expands it, so the expanded batch sits in Redis with no line run and
 * can be weighed; then it stops and an image worker drains the lines and finalizes.
 */
export async function runLargeBatch(context: SuiteContext, redis: { url: string; pid: number | undefined; probe: RedisProbe }, lines: number, workerConcurrency: number): Promise<LargeBatchRun> {
  const engine = { kind: 'synthetic', render: 'cached' };
  const models = [
    { id: LINE_MODEL, profile: 'dall-e-2', queue: 'images', engine },
    { id: 'bench-phases-only', profile: 'dall-e-2', queue: PHASES_ONLY_QUEUE, engine },
  ];
  const stack = await BatchStack.start({ name: 'batch', repoRoot: context.repoRoot, workDir: context.workDir, redisUrl: redis.url, models, workerConcurrency, profileDir: context.options.cpuProfile ? context.profileDir : undefined });
  const unregister = stopOnInterrupt(() => stack.stop());
  const watch = await BatchWatch.connect(redis.url);
  const sampler = new ProcessSampler({ api: stack.api.pid }, 100);
  const check = () => stack.assertAlive();
  let activeTimer: NodeJS.Timeout | undefined;
  try {
    const client = new BatchClient(stack.baseUrl, stack.apiKeys[0]);
    const phases = stack.startWorker('phases', { WORKER_QUEUES: PHASES_ONLY_QUEUE });
    sampler.track('phases', phases.pid);
    if (redis.pid) sampler.track('redis', redis.pid);
    sampler.start();
    // A file that fails validation: proves the phase worker is serving and warms the routes, adding no line job.
    const warm = await client.create(await client.upload(Buffer.from('{not json\n'), 'warm-up.jsonl'));
    await watch.until(warm, (record) => record.status === 'failed', { what: 'failed (warm-up)', timeoutMs: 90_000, intervalMs: 100, check });

    const file = generationsJsonl(lines, LINE_MODEL, 'line');
    const apiRssBefore = rss(stack.api.pid);
    const uploadStart = Date.now();
    const fileId = await client.upload(file, 'requests.jsonl');
    const uploadMs = Date.now() - uploadStart;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const redisBefore = await redis.probe.usedMemory();
    const phasesRssBefore = rss(phases.pid);
    const createdAt = Date.now();
    const id = await client.create(fileId);
    const validated = await watch.until(id, (record) => record.status !== 'validating', { what: 'validated', timeoutMs: 120_000, check });
    if (validated.record.status !== 'in_progress') throw new Error(`batch ${id} ${validated.record.status} at validation: ${JSON.stringify(validated.record.errors)}`);
    const submit: BatchSubmitResult = {
      lines,
      fileBytes: file.length,
      uploadMs,
      createToInProgressMs: validated.at - createdAt,
      apiRssBeforeBytes: apiRssBefore,
      apiPeakRssBytes: Math.max(sampler.usage('api', uploadStart, validated.at)?.peakRssBytes ?? 0, rss(stack.api.pid)),
      phaseWorkerPeakRssBytes: sampler.usage('phases', uploadStart, validated.at)?.peakRssBytes ?? Number.NaN,
    };
    context.log(`batch: ${lines} lines (${(file.length / 2 ** 20).toFixed(1)} MiB) uploaded in ${(uploadMs / 1000).toFixed(2)} s, in_progress ${(submit.createToInProgressMs / 1000).toFixed(2)} s after create`);

    const expanded = await watch.until(id, (record) => record.expandDone, { what: 'expanded', timeoutMs: 600_000, check });
    const expandMs = expanded.at - validated.at;
    const phasesUsage = sampler.usage('phases', validated.at, expanded.at);
    const expansion: BatchExpansionResult = {
      lines,
      elapsedMs: expandMs,
      perSecond: (lines / expandMs) * 1000,
      chunkSize: expanded.record.chunkSize,
      workerRssBeforeBytes: phasesRssBefore,
      workerPeakRssBytes: phasesUsage?.peakRssBytes ?? Number.NaN,
      workerCpuPercent: phasesUsage?.cpuPercent ?? Number.NaN,
    };
    context.log(`batch: expanded in ${(expandMs / 1000).toFixed(2)} s, ${expansion.perSecond.toFixed(0)} lines/s`);

    // Lets the AOF buffer flush (everysec) before weighing, as the memory suite does.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const sample = lineJobIds(id, lines, Math.max(1, Math.floor(lines / 200)));
    const redisAfter = await redis.probe.usedMemory();
    const memory: BatchMemoryResult = {
      lines,
      redisUsedBeforeBytes: redisBefore,
      redisUsedAfterBytes: redisAfter,
      redisBytesPerLine: (redisAfter - redisBefore) / lines,
      batchRecordBytes: await watch.store.memoryUsage(id),
      batchRecordBytesSettled: Number.NaN,
      batchRecordBytesFinal: Number.NaN,
      lineJobHashBytes: await watch.meanJobBytes(sample),
      lineJobsSampled: sample.length,
      eventsStreamLength: await watch.eventsLength(),
      apiRssBeforeBytes: apiRssBefore,
      apiRssAfterBytes: rss(stack.api.pid),
      workerRssBeforeBytes: phasesRssBefore,
      workerRssAfterBytes: rss(phases.pid),
    };
    context.log(`batch: Redis +${Math.round(memory.redisBytesPerLine)} B per queued line, record+bitmap ${memory.batchRecordBytes} B`);

    await phases.stop();
    const callsBefore = await redis.probe.commandCalls();
    const drainer = stack.startWorker('lines');
    sampler.track('worker', drainer.pid);
    const active: Array<{ at: number; lines: number }> = [];
    activeTimer = setInterval(() => void watch.activeLines().then((count) => active.push({ at: Date.now(), lines: count }), () => undefined), 100);
    activeTimer.unref();
    const untilFinished = { timeoutMs: 900_000, intervalMs: 50, check };
    await watch.until(id, (record) => TERMINAL.has(record.status) || record.completed + record.failed >= record.total, { what: 'settled', ...untilFinished });
    memory.batchRecordBytesSettled = await watch.store.memoryUsage(id);
    const finished = await watch.until(id, (record) => TERMINAL.has(record.status), { what: 'finished', ...untilFinished });
    clearInterval(activeTimer);
    const calls = commandDelta(callsBefore, await redis.probe.commandCalls());
    const range = await watch.completionRange();
    if (!range) throw new Error(`batch ${id} ${finished.record.status} with no line completed`);
    memory.batchRecordBytesFinal = await watch.store.memoryUsage(id);
    const { record } = finished;
    if (record.status !== 'completed') throw new Error(`batch ${id} ended ${record.status}: ${record.completed} completed, ${record.failed} failed`);
    const drainUsage = sampler.usage('worker', range.first, finished.at);
    const inFlight = active.filter((sample) => sample.at >= range.first && sample.at <= range.last).map((sample) => sample.lines);
    const linesMs = Math.max(1, range.last - range.first);
    const toCompletedMs = Math.max(1, finished.at - range.first);
    const drain: Omit<BatchDrainResult, 'baseline'> = {
      lines,
      completed: record.completed,
      failed: record.failed,
      workerConcurrency,
      linesElapsedMs: linesMs,
      linesPerSecond: (record.completed / linesMs) * 1000,
      toCompletedMs,
      toCompletedPerSecond: (record.completed / toCompletedMs) * 1000,
      finalizeMs: finished.at - range.last,
      workerPeakRssBytes: drainUsage?.peakRssBytes ?? Number.NaN,
      workerCpuPercent: drainUsage?.cpuPercent ?? Number.NaN,
      meanActiveLines: inFlight.length > 0 ? inFlight.reduce((sum, lines) => sum + lines, 0) / inFlight.length : Number.NaN,
      maxActiveLines: inFlight.length > 0 ? Math.max(...inFlight) : Number.NaN,
      redisCpuPercent: sampler.usage('redis', range.first, finished.at)?.cpuPercent ?? Number.NaN,
      redisCommandsPerLine: calls.map(([name, count]) => [name, count / lines]),
    };
    context.log(`batch: drained ${record.completed} lines at ${drain.linesPerSecond.toFixed(0)} lines/s, completed ${(drain.finalizeMs / 1000).toFixed(2)} s after the last line`);
    return { submit, expansion, memory, drain };
  } finally {
    clearInterval(activeTimer);
    sampler.stop();
    watch.close();
    await stack.stop();
    unregister();
  }
}
