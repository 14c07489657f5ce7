/** What a plain `pnpm bench` runs, and what a published run must include. */
export const SUITE_NAMES = ['baseline', 'sync', 'async', 'long', 'memory', 'uploads', 'onnx', 'batch', 'limits', 'streaming', 'pipeline', 'ops', 'batching'] as const;
/** Names for several suites at once: `--only=gpu` runs the GPU-stage suites. */
const SUITE_GROUPS: Record<string, readonly string[]> = { gpu: ['pipeline', 'batching'] };
/** Suites that run only when named with --only: long fault-injection runs. */
export const OPT_IN_SUITES = ['chaos'] as const;
export type SuiteName = (typeof SUITE_NAMES)[number] | (typeof OPT_IN_SUITES)[number];
const ALL_SUITES: readonly SuiteName[] = [...SUITE_NAMES, ...OPT_IN_SUITES];

/** Sizes of every measured stretch; `--quick` shrinks them for a smoke run. */
export interface BenchSizes {
  /** Concurrent callers/clients for the closed-loop runs. Default 1, 64, 256. */
  levels: number[];
  /** Unmeasured warm-up before each closed-loop run. Default 1.5 s. */
  warmupMs: number;
  /** Measured stretch of each closed-loop run. Default 6 s. */
  durationMs: number;
  /** Upper bound on requests per closed-loop run. Default 200,000. */
  maxRequests: number;
  /** Sequential sync requests split into stages from job timestamps. Default 300. */
  breakdownRequests: number;
  /** Backlog the baseline worker drains. Default 10,000. */
  backlogJobs: number;
  /** Async submissions in the burst. Default 10,000. */
  burstJobs: number;
  /** Jobs between the memory suite's two readings. Default 20,000. */
  memoryJobs: number;
  /** Concurrent sync waiters on slow jobs. Default 200. */
  longWaiters: number;
  /** Engine delay per image for the long-job run. Default 2,000 ms. */
  longDelayMs: number;
  /** Measured stretch of the long-job run. Default 20 s. */
  longDurationMs: number;
  /** Concurrent uploads of the largest accepted image in the uploads suite. Default 16. */
  uploadConcurrency: number;
  /** Chaos: seed of the fault schedule (`--seed=N`). Default 7. */
  chaosSeed: number;
  /** Chaos: length of the load and fault window. Default 120 s. */
  chaosDurationMs: number;
  /** Chaos: faults injected over the window. Default 8. */
  chaosFaults: number;
  /** Chaos: async jobs submitted over the window. Default 5,000. */
  chaosAsyncJobs: number;
  /** Chaos: paced sync callers. Default 200. */
  chaosSyncCallers: number;
  /** Batch: lines of the batch submitted, expanded and drained (`--batch-lines=N`). Default 50,000, the Batch API's cap. */
  batchLines: number;
  /** Batch: lines of the batch draining under sync traffic, and the large owner's batch in the fairness run. Default 10,000. */
  batchLaneLines: number;
  /** Batch: lines of the second owner's small batch in the fairness run. Default 10. */
  batchSmallLines: number;
  /** Batch: measured stretch of each sync run beside the lanes, long enough for a steady p99. Default 15 s. */
  batchSyncMs: number;
}

export interface BenchOptions {
  quick: boolean;
  only: SuiteName[];
  /** Pass `--cpu-prof` to the API and worker processes; profiles land in bench/results/profiles and docs are left alone. */
  cpuProfile: boolean;
  sizes: BenchSizes;
}

const FULL: BenchSizes = {
  levels: [1, 64, 256],
  warmupMs: 1_500,
  durationMs: 6_000,
  maxRequests: 200_000,
  breakdownRequests: 300,
  backlogJobs: 10_000,
  burstJobs: 10_000,
  memoryJobs: 20_000,
  longWaiters: 200,
  longDelayMs: 2_000,
  longDurationMs: 20_000,
  uploadConcurrency: 16,
  chaosSeed: 7,
  chaosDurationMs: 120_000,
  chaosFaults: 8,
  chaosAsyncJobs: 5_000,
  chaosSyncCallers: 200,
  batchLines: 50_000,
  batchLaneLines: 10_000,
  batchSmallLines: 10,
  batchSyncMs: 15_000,
};

const QUICK: BenchSizes = {
  ...FULL,
  warmupMs: 500,
  durationMs: 1_500,
  breakdownRequests: 60,
  backlogJobs: 2_000,
  burstJobs: 2_000,
  memoryJobs: 2_000,
  longDurationMs: 5_000,
  chaosDurationMs: 30_000,
  chaosFaults: 4,
  chaosAsyncJobs: 500,
  chaosSyncCallers: 40,
  batchLines: 2_000,
  batchLaneLines: 2_000,
  batchSyncMs: 3_000,
};

/** Parses `--quick`, `--only=a,b`, `--seed=N`, `--batch-lines=N` and `--cpu-prof`; unknown flags are an error, not a silent default. */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let cpuProfile = false;
  let seed: number | undefined;
  let batchLines: number | undefined;
  let only: SuiteName[] = [...SUITE_NAMES];
  for (const arg of argv) {
    if (arg === '--') continue;
    if (arg === '--quick') quick = true;
    else if (arg === '--cpu-prof') cpuProfile = true;
    else if (/^--seed=\d+$/.test(arg)) seed = Number(arg.slice('--seed='.length));
    else if (arg.startsWith('--batch-lines=')) batchLines = parseBatchLines(arg);
    else if (arg.startsWith('--only=')) {
      const names = arg.slice('--only='.length).split(',').map((name) => name.trim()).filter(Boolean).flatMap((name): readonly string[] => SUITE_GROUPS[name] ?? [name]);
      const unknown = names.filter((name) => !(ALL_SUITES as readonly string[]).includes(name));
      if (unknown.length > 0 || names.length === 0) {
        throw new Error(`--only takes a comma-separated subset of ${ALL_SUITES.join(',')} (or ${Object.keys(SUITE_GROUPS).join(',')}); got ${arg}`);
      }
      only = ALL_SUITES.filter((name) => names.includes(name));
    } else throw new Error(`unknown flag ${arg}; use --quick, --only=${ALL_SUITES.join(',')}, --seed=N, --batch-lines=N or --cpu-prof`);
  }
  let sizes = quick ? QUICK : FULL;
  if (seed !== undefined) sizes = { ...sizes, chaosSeed: seed };
  // A smaller batch shrinks the lane batch with it, so a smoke run stays short.
  if (batchLines !== undefined) sizes = { ...sizes, batchLines, batchLaneLines: Math.min(sizes.batchLaneLines, batchLines) };
  return { quick, only, cpuProfile, sizes };
}

/** The Batch API takes 1 to 50,000 lines; the fairness run needs the large batch well above the small one. */
function parseBatchLines(arg: string): number {
  const value = arg.slice('--batch-lines='.length);
  const lines = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(lines) || lines < 100 || lines > 50_000) throw new Error(`--batch-lines takes a whole number from 100 to 50000; got ${arg}`);
  return lines;
}
