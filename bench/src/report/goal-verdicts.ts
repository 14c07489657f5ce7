import type { BenchResults, GoalVerdict, HttpRunResult, SuiteOutcome } from '../bench-results';
import type { PairedRun, PairedSummary } from '../suites/paired-sync-runs';
import type { ClosedLoopResult } from '../load/closed-loop';
import { formatMiB, formatNumber } from './markdown-table';

/** Thresholds of the goals; the report prints them next to what was measured. */
export const GOALS = {
  syncOverheadMs: 2,
  throughputShare: 0.6,
  longP99AddedMs: 50,
  /** RSS growth tolerated per process over the second half of the memory run (GC and allocator noise). */
  memoryGrowthBytes: 16 * 1024 * 1024,
  /** API RSS growth tolerated per concurrent pixel-cap upload: a full decode alone would be 256 MiB. */
  uploadGrowthBytes: 32 * 1024 * 1024,
  /** Batch lines drained per second (to the batch's `completed`) as a share of raw BullMQ's no-op drain. */
  batchDrainShare: 0.7,
  /** Sync throughput at 64 clients the limiter may cost, in percent. */
  limiterCostPercent: 5,
  /** How much stream previews may slow an onnx run, in percent. */
  previewCostPercent: 10,
  /** Sync throughput at 64 clients the dashboard's history bookkeeping may cost, in percent. */
  opsCostPercent: 5,
  /** Share of wall time a pipelined worker's device is busy with a full queue. */
  deviceBusyShare: 0.9,
  /** Images per second with batching on over off, narrow conv UNet (per-call cost dominates). */
  batchingNarrowSpeedup: 1.3,
  /** The same on the wide UNet, where compute dominates: no slower, within run-to-run noise. */
  batchingWideSpeedup: 0.95,
  /** UNet calls per image-step with batching on, as a multiple of 1/maxBatch (full batches). */
  batchingCallsSlack: 1.25,
  /** The worker with batching on, through the API, over a standalone loop of the same engine calls at batch 1. */
  batchingVsStandalone: 0.9,
} as const;

/** Evaluates every goal that the measured suites allow; the rest say why not. */
export function evaluateGoals(results: Omit<BenchResults, 'goals'>): GoalVerdict[] {
  return [...syncGoals(results), ...longGoals(results), memoryGoal(results), uploadsGoal(results), onnxGoal(results), ...previewGoals(results), pipelineGoal(results), ...batchingGoals(results), ...batchGoals(results), limitsGoal(results), opsCostGoal(results), ...chaosGoals(results)];
}

function limitsGoal(results: Omit<BenchResults, 'goals'>): GoalVerdict {
  return pairedCostGoal(`Rate limits: all four limits cost < ${GOALS.limiterCostPercent}% of sync throughput at 64 clients (cached engine)`, results.limits, GOALS.limiterCostPercent);
}

function opsCostGoal(results: Omit<BenchResults, 'goals'>): GoalVerdict {
  return pairedCostGoal(`Dashboard bookkeeping costs < ${GOALS.opsCostPercent}% of sync throughput at 64 clients (cached engine)`, results.ops, GOALS.opsCostPercent);
}

/** A feature's paired on/off cost at 64 clients against its budget, errors counted. */
function pairedCostGoal(goal: string, outcome: SuiteOutcome<{ runs: PairedRun[]; summary: PairedSummary[] }> | undefined, budgetPercent: number): GoalVerdict {
  const at64 = outcome?.status === 'measured' ? outcome.summary.find((row) => row.concurrency === 64) : undefined;
  if (!at64) return { goal, measured: outcome?.status === 'not measured' ? outcome.reason : 'suite not run', holds: 'not measured' };
  const errors = outcome?.status === 'measured' ? outcome.runs.reduce((sum, entry) => sum + entry.run.errors, 0) : 0;
  return {
    goal,
    measured: `${formatNumber(at64.onRps, 0)} vs ${formatNumber(at64.offRps, 0)} req/s (${formatNumber(at64.costPercent, 1)}%; CPU per request ${at64.cpuCostPercent === undefined ? 'not read' : `${formatNumber(at64.cpuCostPercent, 1)}%`}), ${errors} errors`,
    holds: at64.costPercent < budgetPercent && errors === 0,
  };
}

function uploadsGoal(results: Omit<BenchResults, 'goals'>): GoalVerdict {
  const goal = `Uploads: API RSS grows ≤ ${formatMiB(GOALS.uploadGrowthBytes)} per concurrent 8192x8192 PNG edit, all accepted`;
  const uploads = results.uploads;
  const run = uploads?.status === 'measured' ? uploads.runs[0] : undefined;
  if (!run) return { goal, measured: uploads?.status === 'not measured' ? uploads.reason : 'suite not run', holds: 'not measured' };
  const perUpload = (run.apiPeakRssBytes - run.apiRssBeforeBytes) / run.uploads;
  return { goal, measured: `${signedMiB(perUpload)} per upload (${run.uploads} at once), ${run.errors} errors`, holds: perUpload <= GOALS.uploadGrowthBytes && run.errors === 0 };
}

/** Only when the opt-in chaos suite ran: nothing lost, nothing made twice, no caller left hanging. */
function chaosGoals(results: Omit<BenchResults, 'goals'>): GoalVerdict[] {
  const chaos = results.chaos;
  if (!chaos) return [];
  const goal = 'Chaos: no job lost, no output duplicated, every sync caller answered';
  if (chaos.status !== 'measured') return [{ goal, measured: chaos.reason, holds: 'not measured' }];
  const { audit, load } = chaos;
  return [
    {
      goal,
      measured: `${audit.lost} lost, ${audit.duplicatedOutputs} duplicated of ${audit.jobs} jobs; ${load.sync.noAnswer} of ${load.sync.requests} sync requests unanswered`,
      holds: audit.lost === 0 && audit.duplicatedOutputs === 0 && audit.missingOutputs === 0 && load.sync.noAnswer === 0 && load.asyncGaveUp === 0,
    },
  ];
}

/** The batch drain against raw BullMQ, and sync latency beside a draining batch. */
function batchGoals(results: Omit<BenchResults, 'goals'>): GoalVerdict[] {
  const batch = results.batch;
  const drainGoal = `Batch drain ≥ ${GOALS.batchDrainShare}× raw BullMQ drain (first line done → batch completed, engine-free worker)`;
  const latencyGoal = 'Sync p99 with a batch draining on the same worker ≤ p99 without + one job run time';
  if (batch?.status !== 'measured') return [drainGoal, latencyGoal].map((goal) => ({ goal, measured: batch?.reason ?? 'suite not run', holds: 'not measured' as const }));
  const { drain, lanes } = batch;
  const share = drain.toCompletedPerSecond / drain.baseline.perSecond;
  const added = lanes.with.latencyMs.p99 - lanes.without.latencyMs.p99;
  return [
    {
      goal: drainGoal,
      measured: `${formatNumber(drain.toCompletedPerSecond, 0)} vs ${formatNumber(drain.baseline.perSecond, 0)} lines/s (${formatNumber(share, 2)}×), ${drain.failed} failed`,
      holds: share >= GOALS.batchDrainShare && drain.failed === 0,
    },
    {
      goal: `${latencyGoal} (${lanes.jobMs} ms, ${lanes.without.concurrency} clients, ${lanes.workerConcurrency} slots)`,
      measured: `${formatNumber(lanes.with.latencyMs.p99, 1)} vs ${formatNumber(lanes.without.latencyMs.p99, 1)} ms (+${formatNumber(added, 1)} ms), ${lanes.with.errors + lanes.without.errors} errors${lanes.drainingThroughout ? '' : '; the batch did not drain throughout'}`,
      holds: lanes.drainingThroughout ? added <= lanes.jobMs && lanes.with.errors + lanes.without.errors === 0 : 'not measured',
    },
  ];
}

function onnxGoal(results: Omit<BenchResults, 'goals'>): GoalVerdict {
  const goal = 'ONNX engine: host overhead < 5% of a diffusion step (64x64x4 latents, batch 2)';
  const onnx = results.onnx;
  if (onnx?.status !== 'measured') return { goal, measured: 'suite not run', holds: 'not measured' };
  return {
    goal,
    measured: `${formatNumber(onnx.hostStepMs, 2)} ms host vs ${formatNumber(onnx.unetStepMs, 2)} ms UNet (${formatNumber(onnx.hostStepPercent, 2)}%)`,
    holds: onnx.hostStepPercent < 5,
  };
}

function pipelineGoal(results: Omit<BenchResults, 'goals'>): GoalVerdict {
  const goal = `Pipelined worker (2 slots, one device): device busy ≥ ${GOALS.deviceBusyShare * 100}% of wall time with a full queue`;
  const pipeline = results.pipeline;
  if (pipeline?.status !== 'measured') return { goal, measured: pipeline?.status === 'not measured' ? pipeline.reason : 'suite not run', holds: 'not measured' };
  const [serial, pipelined] = [pipeline.summary.find((row) => row.slots === 1), pipeline.summary.find((row) => row.slots === 2)];
  if (!serial || !pipelined) return { goal, measured: 'no pipelined run', holds: 'not measured' };
  return {
    goal,
    measured: `${formatNumber(pipelined.deviceBusyShare * 100, 1)}% busy, ${formatNumber(pipelined.imagesPerSecond, 1)} vs ${formatNumber(serial.imagesPerSecond, 1)} images/s serial (${formatNumber(serial.deviceBusyShare * 100, 1)}% busy)`,
    holds: pipelined.deviceBusyShare >= GOALS.deviceBusyShare,
  };
}

function batchingGoals(results: Omit<BenchResults, 'goals'>): GoalVerdict[] {
  const batching = results.batching;
  const goals = [
    `Dynamic batching: UNet calls per image-step ≤ ${GOALS.batchingCallsSlack}/maxBatch with 16 clients`,
    `Dynamic batching: narrow UNet images/s ≥ ${GOALS.batchingNarrowSpeedup}× with batching on`,
    `Dynamic batching: wide UNet no slower with batching on (≥ ${GOALS.batchingWideSpeedup}×)`,
    `Dynamic batching: worker through the API ≥ ${GOALS.batchingVsStandalone * 100}% of a standalone loop at batch 1`,
  ];
  if (batching?.status !== 'measured') return goals.map((goal) => ({ goal, measured: batching?.status === 'not measured' ? batching.reason : 'suite not run', holds: 'not measured' as const }));
  const narrow = batching.summary[0]!;
  const wide = batching.summary[batching.summary.length - 1]!;
  const worstCalls = Math.max(...batching.summary.map((row) => row.unetCallsPerImageStepOn));
  const worstShare = Math.min(...batching.summary.map((row) => row.onVsStandalone));
  return [
    {
      goal: goals[0]!,
      measured: batching.summary.map((row) => `width ${row.width}: ${formatNumber(row.unetCallsPerImageStepOn, 2)} (off ${formatNumber(row.unetCallsPerImageStepOff, 2)})`).join(', '),
      holds: worstCalls <= GOALS.batchingCallsSlack / batching.maxBatch,
    },
    {
      goal: goals[1]!,
      measured: `${formatNumber(narrow.imagesPerSecondOn, 2)} vs ${formatNumber(narrow.imagesPerSecondOff, 2)} images/s (${formatNumber(narrow.speedup, 2)}×, width ${narrow.width})`,
      holds: narrow.speedup >= GOALS.batchingNarrowSpeedup,
    },
    {
      goal: goals[2]!,
      measured: `${formatNumber(wide.imagesPerSecondOn, 2)} vs ${formatNumber(wide.imagesPerSecondOff, 2)} images/s (${formatNumber(wide.speedup, 2)}×, width ${wide.width})`,
      holds: wide.speedup >= GOALS.batchingWideSpeedup,
    },
    {
      goal: goals[3]!,
      measured: batching.summary.map((row) => `width ${row.width}: ${formatNumber(row.onVsStandalone * 100, 1)}% (${formatNumber(row.imagesPerSecondOn, 2)} vs ${formatNumber(row.standaloneImagesPerSecond, 2)} images/s)`).join(', '),
      holds: worstShare >= GOALS.batchingVsStandalone,
    },
  ];
}

function previewGoals(results: Omit<BenchResults, 'goals'>): GoalVerdict[] {
  const previews = results.onnx?.status === 'measured' ? results.onnx.previews : undefined;
  const verdict = (what: string, pick: (p: NonNullable<typeof previews>) => { withMs: number; withoutMs: number; costPercent: number }): GoalVerdict => {
    const goal = `ONNX engine: 3 stream previews per image slow a run < ${GOALS.previewCostPercent}% (${what})`;
    if (!previews) return { goal, measured: 'suite not run', holds: 'not measured' };
    const cost = pick(previews);
    return { goal, measured: `${formatNumber(cost.withMs, 1)} vs ${formatNumber(cost.withoutMs, 1)} ms (${formatNumber(cost.costPercent, 1)}%)`, holds: cost.costPercent < GOALS.previewCostPercent };
  };
  return [verdict('engine decode', (p) => p.projection), verdict('scaled and PNG-encoded, CPU-only host', (p) => p.projectionEncoded)];
}

function syncGoals(results: Omit<BenchResults, 'goals'>): GoalVerdict[] {
  const { baseline, sync } = results;
  const overheadGoal = `Sync overhead at 1 client: p50 ≤ baseline p50 + ${GOALS.syncOverheadMs} ms`;
  const throughputGoal = (clients: number) => `Throughput at ${clients} clients ≥ ${GOALS.throughputShare * 100}% of baseline req/s`;
  const goals = [overheadGoal, throughputGoal(64), throughputGoal(256)];
  if (baseline?.status !== 'measured' || sync?.status !== 'measured') {
    const reason = baseline?.status !== 'measured' ? 'baseline not measured' : 'sync suite not measured';
    return goals.map((goal) => ({ goal, measured: reason, holds: 'not measured' as const }));
  }
  const verdicts: GoalVerdict[] = [];
  for (const label of [...new Set(sync.runs.map((run) => run.label))]) {
    const ours = (clients: number) => sync.runs.find((run) => run.label === label && run.concurrency === clients);
    const base = (clients: number) => baseline.addAndWait.find((run) => run.concurrency === clients);
    verdicts.push(compare(`${overheadGoal} (${label})`, ours(1), base(1), (o, b) => {
      const overhead = o.latencyMs.p50 - b.latencyMs.p50;
      return { measured: `${formatNumber(o.latencyMs.p50, 2)} ms vs ${formatNumber(b.latencyMs.p50, 2)} ms (+${formatNumber(overhead, 2)} ms)`, holds: overhead <= GOALS.syncOverheadMs };
    }));
    for (const clients of [64, 256]) {
      verdicts.push(compare(`${throughputGoal(clients)} (${label})`, ours(clients), base(clients), (o, b) => {
        const share = o.requestsPerSecond / b.requestsPerSecond;
        return {
          measured: `${formatNumber(o.requestsPerSecond, 0)} vs ${formatNumber(b.requestsPerSecond, 0)} req/s (${formatNumber(share * 100, 0)}%)`,
          holds: share >= GOALS.throughputShare && o.errors === 0,
        };
      }));
    }
  }
  return verdicts;
}

function compare(
  goal: string,
  ours: HttpRunResult | undefined,
  base: ClosedLoopResult | undefined,
  judge: (ours: HttpRunResult, base: ClosedLoopResult) => { measured: string; holds: boolean },
): GoalVerdict {
  if (!ours || !base || ours.completed === 0) return { goal, measured: 'no comparable runs', holds: 'not measured' };
  return { goal, ...judge(ours, base) };
}

function longGoals(results: Omit<BenchResults, 'goals'>): GoalVerdict[] {
  const goal = `Long jobs: p99 added latency ≤ ${GOALS.longP99AddedMs} ms with 200 waiters`;
  const long = results.long;
  if (long?.status !== 'measured') return [{ goal, measured: long?.reason ?? 'suite not run', holds: 'not measured' }];
  return long.runs.map(({ run, addedLatencyMs: added }) => ({
    goal: `${goal} (${run.label})`,
    measured: `p50 +${formatNumber(added.p50, 1)} ms, p99 +${formatNumber(added.p99, 1)} ms, ${run.errors} errors`,
    holds: added.p99 <= GOALS.longP99AddedMs && run.errors === 0 && run.completed > 0,
  }));
}

function memoryGoal(results: Omit<BenchResults, 'goals'>): GoalVerdict {
  const goal = `No memory growth over the run beyond retained jobs (API/worker RSS ≤ ${formatMiB(GOALS.memoryGrowthBytes)} over the second half)`;
  const memory = results.memory;
  if (memory?.status !== 'measured') return { goal, measured: memory?.reason ?? 'suite not run', holds: 'not measured' };
  const middle = memory.readings[memory.readings.length - 2];
  const end = memory.readings[memory.readings.length - 1];
  if (!middle || !end) return { goal, measured: 'too few readings', holds: 'not measured' };
  const apiGrowth = end.apiRssBytes - middle.apiRssBytes;
  const workerGrowth = end.workerRssBytes - middle.workerRssBytes;
  return {
    goal,
    measured: `API ${signedMiB(apiGrowth)}, worker ${signedMiB(workerGrowth)}; Redis ${formatNumber(memory.redisBytesPerRetainedJob, 0)} B per retained job`,
    holds: apiGrowth <= GOALS.memoryGrowthBytes && workerGrowth <= GOALS.memoryGrowthBytes,
  };
}

function signedMiB(bytes: number): string {
  return `${bytes >= 0 ? '+' : '−'}${formatMiB(Math.abs(bytes))}`;
}
