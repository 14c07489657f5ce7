import type { HttpRunResult, RateResult } from '../bench-results';

/** Upload and validation of the large batch (API and worker sampled every 100 ms). */
export interface BatchSubmitResult {
  lines: number;
  fileBytes: number;
  /** POST /v1/files of the whole file, until the API answered. */
  uploadMs: number;
  /** POST /v1/batches sent until a read of the record saw `in_progress` (polled every 20 ms). */
  createToInProgressMs: number;
  apiRssBeforeBytes: number;
  /** Peak API RSS from the upload's start until `in_progress`. */
  apiPeakRssBytes: number;
  /** Peak RSS of the worker that validated the file, over the same stretch. */
  phaseWorkerPeakRssBytes: number;
}

/** Expansion of the large batch by a worker that serves the batch phases and no image queue. */
export interface BatchExpansionResult {
  lines: number;
  /** From `in_progress` seen until `expand_done` = 1 seen. */
  elapsedMs: number;
  perSecond: number;
  chunkSize: number;
  workerRssBeforeBytes: number;
  workerPeakRssBytes: number;
  workerCpuPercent: number;
}

/** What the expanded, not yet drained batch holds in Redis and in the processes. */
export interface BatchMemoryResult {
  lines: number;
  /** `INFO memory` used_memory after the upload, before POST /v1/batches. */
  redisUsedBeforeBytes: number;
  /** The same once `expand_done` = 1, before any line ran. */
  redisUsedAfterBytes: number;
  redisBytesPerLine: number;
  /** `BatchStore.memoryUsage`: the record hash and the settled bitmap, after expansion. */
  batchRecordBytes: number;
  /** The same once every line settled, before finalize drops the bitmap (a bit per line then). */
  batchRecordBytesSettled: number;
  /** The same once the batch is `completed`. */
  batchRecordBytesFinal: number;
  /** MEMORY USAGE of a line job's hash, mean over a sample of lines. */
  lineJobHashBytes: number;
  lineJobsSampled: number;
  /** Entries in the lane queue's events stream after expansion (trimmed, so bounded). */
  eventsStreamLength: number;
  apiRssBeforeBytes: number;
  apiRssAfterBytes: number;
  workerRssBeforeBytes: number;
  workerRssAfterBytes: number;
}

/** Draining the expanded batch with an engine-free worker, next to raw BullMQ draining as many no-op jobs. */
export interface BatchDrainResult {
  lines: number;
  completed: number;
  failed: number;
  workerConcurrency: number;
  /** First line's `finishedOn` to the last line's. */
  linesElapsedMs: number;
  linesPerSecond: number;
  /** First line's `finishedOn` until a read saw the batch `completed` (finalize included). */
  toCompletedMs: number;
  toCompletedPerSecond: number;
  /** Last line completed until the batch was seen `completed`: finalize writing the output file. */
  finalizeMs: number;
  workerPeakRssBytes: number;
  workerCpuPercent: number;
  /** Lines active in the lane queue (LLEN every 100 ms) from the first line done to the last: the parallelism the drain got. */
  meanActiveLines: number;
  maxActiveLines: number;
  /** redis-server's CPU over the same stretch (100 = one core). */
  redisCpuPercent: number;
  /** Commands Redis ran per line from the drainer's start to `completed` (scripts' own calls included), most called first. */
  redisCommandsPerLine: Array<[string, number]>;
  baseline: RateResult & { redisCommandsPerJob: Array<[string, number]> };
}

/** Sync calls with and without a batch draining through the same worker slots. */
export interface BatchLanesResult {
  workerConcurrency: number;
  /** The engine's fixed delay per image: one job's run time. */
  jobMs: number;
  batchLines: number;
  without: HttpRunResult;
  with: HttpRunResult;
  /** Batch lines that completed during the measured stretch with the batch. */
  batchLinesDuringRun: number;
  /** The batch was still in progress, with lines left, when the measured stretch ended. */
  drainingThroughout: boolean;
}

/** Owner B's small batch submitted while owner A's large one drains. */
export interface BatchFairnessResult {
  workerConcurrency: number;
  jobMs: number;
  largeLines: number;
  smallLines: number;
  /** A's lines completed from B's POST /v1/batches until B's last line completed. */
  largeCompletedSinceCreate: number;
  /** A's lines completed from B's first line queued until B's last line completed. */
  largeCompletedSinceQueued: number;
  /** B's POST /v1/batches until a read saw B `in_progress`: waiting for a phase slot, and validation. */
  createToInProgressMs: number;
  /** B's POST /v1/batches until B's first line was queued: validation and expansion. */
  createToQueuedMs: number;
  /** B's POST /v1/batches until its last line completed. */
  createToLastLineMs: number;
  /** B's POST /v1/batches until a read saw B `completed` (finalize included). */
  turnaroundMs: number;
}

export interface BatchResult {
  submit: BatchSubmitResult;
  expansion: BatchExpansionResult;
  memory: BatchMemoryResult;
  drain: BatchDrainResult;
  lanes: BatchLanesResult;
  fairness: BatchFairnessResult;
}
