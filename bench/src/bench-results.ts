import type { BatchResult } from './suites/batch-suite';
import type { ChaosResult } from './suites/chaos-suite';
import type { LimitsResult } from './suites/limits-suite';
import type { BatchingResult } from './suites/batching-suite';
import type { OpsCostResult } from './suites/ops-cost-suite';
import type { PipelineResult } from './suites/pipeline-suite';
import type { StreamingResult } from './suites/streaming-suite';
import type { OnnxStepOverheadResult } from './suites/onnx-suite';
import type { UploadsResult } from './suites/uploads-suite';
import type { ClosedLoopResult } from './load/closed-loop';
import type { LatencySummary } from './stats/latency-summary';
import type { MachineInfo } from './report/machine-info';
import type { StageBreakdown } from './suites/stage-breakdown';

/** A suite either measured something or says plainly why it could not. */
export type SuiteOutcome<T> = ({ status: 'measured' } & T) | { status: 'not measured'; reason: string };

export interface RateResult {
  jobs: number;
  elapsedMs: number;
  perSecond: number;
}

/** CPU share (100 = one core) and memory of a process over a measured stretch. */
export interface ProcessUsage {
  cpuPercent: number;
  rssBytes: number;
  peakRssBytes: number;
  /** V8 heap used, when the process exposes it; undefined means RSS only. */
  heapUsedBytes?: number;
}

export interface BaselineResult {
  addAndWait: ClosedLoopResult[];
  backlogAdd: RateResult;
  backlogDrain: RateResult;
}

export interface HttpRunResult extends ClosedLoopResult {
  label: string;
  api?: ProcessUsage;
  worker?: ProcessUsage;
}

export interface SyncResult {
  runs: HttpRunResult[];
  /** Where the time of one sequential request goes, stage by stage. */
  breakdown: StageBreakdown[];
}

export interface AsyncResult {
  /** Submit with `Prefer: respond-async`, then poll the job until it completes. */
  poll: HttpRunResult[];
  /** Latency of the 202 alone, from the same runs. */
  submitLatencyMs: LatencySummary[];
  burst: { submissions: RateResult; completions: RateResult; failed: number; submitErrors: number };
}

export interface LongJobRun {
  run: HttpRunResult;
  /** Latency minus the deliberate per-image delay. */
  addedLatencyMs: LatencySummary;
}

export interface LongJobsResult {
  runs: LongJobRun[];
  delayMs: number;
  heapSource: string;
}

export interface MemoryReading {
  label: string;
  jobsSoFar: number;
  apiRssBytes: number;
  workerRssBytes: number;
  apiHeapUsedBytes?: number;
  redisUsedMemory: number;
  retainedJobs: number;
  eventsStreamLength: number;
}

export interface MemoryResult {
  readings: MemoryReading[];
  redisBytesPerRetainedJob: number;
  retention: string;
}

export interface GoalVerdict {
  goal: string;
  measured: string;
  holds: boolean | 'not measured';
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  mode: 'quick' | 'full';
  machine: MachineInfo;
  baseline?: SuiteOutcome<BaselineResult>;
  sync?: SuiteOutcome<SyncResult>;
  async?: SuiteOutcome<AsyncResult>;
  long?: SuiteOutcome<LongJobsResult>;
  memory?: SuiteOutcome<MemoryResult>;
  uploads?: SuiteOutcome<UploadsResult>;
  onnx?: SuiteOutcome<OnnxStepOverheadResult>;
  chaos?: SuiteOutcome<ChaosResult>;
  batch?: SuiteOutcome<BatchResult>;
  limits?: SuiteOutcome<LimitsResult>;
  streaming?: SuiteOutcome<StreamingResult>;
  pipeline?: SuiteOutcome<PipelineResult>;
  batching?: SuiteOutcome<BatchingResult>;
  ops?: SuiteOutcome<OpsCostResult>;
  goals: GoalVerdict[];
}
