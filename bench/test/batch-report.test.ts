import { generationsJsonl, GENERATIONS_ENDPOINT } from '../src/batch/batch-client';
import type { BatchResult } from '../src/batch/batch-result';
import { countLinesOf, lineJobIds } from '../src/batch/batch-watch';
import type { BenchResults, HttpRunResult } from '../src/bench-results';
import { batchTables } from '../src/report/batch-tables';
import { evaluateGoals } from '../src/report/goal-verdicts';
import { commandDelta } from '../src/stack/redis-probe';
import { summarizeLatencies } from '../src/stats/latency-summary';

describe(generationsJsonl.name, () => {
  it('writes one generations request per line with distinct custom ids, newline-terminated', () => {
    const text = generationsJsonl(300, 'dall-e-2', 'x').toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line) as { custom_id: string; url: string; body: Record<string, unknown> });
    expect(lines).toHaveLength(300);
    expect(new Set(lines.map((line) => line.custom_id)).size).toBe(300);
    expect(lines.every((line) => line.url === GENERATIONS_ENDPOINT && line.body.model === 'dall-e-2' && line.body.size === '256x256')).toBe(true);
  });
});

describe(countLinesOf.name, () => {
  it("counts a batch's line jobs only: not its phase jobs, nor a batch whose id it prefixes", () => {
    const ids = [...lineJobIds('batch_1', 3), 'batch_1-finalize', 'batch_12-4', ...lineJobIds('batch_2', 2)];
    expect(countLinesOf(ids, 'batch_1')).toBe(3);
    expect(countLinesOf(ids, 'batch_2')).toBe(2);
    expect(lineJobIds('batch_9', 10, 4)).toEqual(['batch_9-1', 'batch_9-5', 'batch_9-9']);
  });
});

describe(commandDelta.name, () => {
  it('keeps commands called in between, most called first', () => {
    expect(commandDelta({ evalsha: 10, get: 4, ping: 1 }, { evalsha: 40, get: 4, hgetall: 12, ping: 2 })).toEqual([
      ['evalsha', 30],
      ['hgetall', 12],
      ['ping', 1],
    ]);
  });
});

function run(label: string, p99: number, errors = 0): HttpRunResult {
  const latencies = Array.from({ length: 100 }, (_, index) => (index >= 98 ? p99 : 50 + index / 10));
  return { label, concurrency: 4, completed: 100, errors, errorSamples: [], requestsPerSecond: 60, latencyMs: summarizeLatencies(latencies), measuredFrom: 0, measuredTo: 1_000 };
}

function result(drainPerSecond: number, baselinePerSecond: number, withP99: number, drainingThroughout = true): BatchResult {
  const lines = 1_000;
  return {
    submit: { lines, fileBytes: 200_000, uploadMs: 20, createToInProgressMs: 30, apiRssBeforeBytes: 1, apiPeakRssBytes: 2, phaseWorkerPeakRssBytes: 3 },
    expansion: { lines, elapsedMs: 200, perSecond: 5_000, chunkSize: 500, workerRssBeforeBytes: 1, workerPeakRssBytes: 2, workerCpuPercent: 50 },
    memory: {
      lines,
      redisUsedBeforeBytes: 1_000_000,
      redisUsedAfterBytes: 2_600_000,
      redisBytesPerLine: 1_600,
      batchRecordBytes: 800,
      batchRecordBytesSettled: 1_000,
      batchRecordBytesFinal: 800,
      lineJobHashBytes: 1_400,
      lineJobsSampled: 200,
      eventsStreamLength: 2_000,
      apiRssBeforeBytes: 1,
      apiRssAfterBytes: 1,
      workerRssBeforeBytes: 1,
      workerRssAfterBytes: 1,
    },
    drain: {
      lines,
      completed: lines,
      failed: 0,
      workerConcurrency: 50,
      linesElapsedMs: 1_000,
      linesPerSecond: drainPerSecond,
      toCompletedMs: 1_000,
      toCompletedPerSecond: drainPerSecond,
      finalizeMs: 100,
      workerPeakRssBytes: 1,
      workerCpuPercent: 90,
      meanActiveLines: 49.5,
      maxActiveLines: 51,
      redisCpuPercent: 40,
      redisCommandsPerLine: [['evalsha', 3]],
      baseline: { jobs: lines, elapsedMs: 100, perSecond: baselinePerSecond, redisCommandsPerJob: [['evalsha', 1]] },
    },
    lanes: { workerConcurrency: 8, jobMs: 50, batchLines: lines, without: run('alone', 70), with: run('with a batch', withP99), batchLinesDuringRun: 500, drainingThroughout },
    fairness: { workerConcurrency: 8, jobMs: 50, largeLines: lines, smallLines: 10, largeCompletedSinceCreate: 19, largeCompletedSinceQueued: 18, createToInProgressMs: 5, createToQueuedMs: 10, createToLastLineMs: 200, turnaroundMs: 220 },
  };
}

function batchVerdicts(batch: BatchResult) {
  const results = { startedAt: '', finishedAt: '', mode: 'full', machine: {}, batch: { status: 'measured', ...batch } } as unknown as Omit<BenchResults, 'goals'>;
  return evaluateGoals(results).filter((verdict) => verdict.goal.startsWith('Batch drain') || verdict.goal.startsWith('Sync p99 with a batch'));
}

describe('batch goal verdicts', () => {
  it('holds the drain to 0.7× raw BullMQ and the sync p99 to one job run time over the p99 alone', () => {
    expect(batchVerdicts(result(700, 1_000, 120)).map((verdict) => verdict.holds)).toEqual([true, true]);
    expect(batchVerdicts(result(699, 1_000, 121)).map((verdict) => verdict.holds)).toEqual([false, false]);
  });

  it('does not judge latency when the batch stopped draining before the sync run ended', () => {
    const [, latency] = batchVerdicts(result(700, 1_000, 80, false));
    expect(latency?.holds).toBe('not measured');
    expect(latency?.measured).toMatch(/did not drain throughout/);
  });

  it('says why when the suite did not run', () => {
    const verdicts = evaluateGoals({ startedAt: '', finishedAt: '', mode: 'full', machine: {} } as unknown as Omit<BenchResults, 'goals'>).filter((verdict) => verdict.goal.startsWith('Batch drain'));
    expect(verdicts).toEqual([expect.objectContaining({ measured: 'suite not run', holds: 'not measured' })]);
  });

  it('renders every numbered figure of the suite in its table', () => {
    const table = batchTables(result(700, 1_000, 120));
    for (const figure of ['1. upload', '2. expansion', '3. drain', '4. sync p99', '5. A', '6. Redis']) expect(table).toContain(figure);
    expect(table).toContain('0.70×');
  });
});
