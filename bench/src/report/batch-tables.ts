import type { BatchResult } from '../batch/batch-result';
import type { HttpRunResult } from '../bench-results';
import { formatMarkdownTable, formatMiB, formatNumber } from './markdown-table';

const seconds = (ms: number) => `${formatNumber(ms / 1000, 2)} s`;
const perSecond = (rate: number) => `${formatNumber(rate, 0)} lines/s`;
const bytes = (value: number) => `${formatNumber(value, 0)} B`;
const perLine = (delta: number, lines: number) => `${delta >= 0 ? '+' : '−'}${formatNumber(Math.abs(delta) / lines, 0)} B per line`;

/** The batch suite as one table of figures, then the sync latencies with and without a batch. */
export function batchTables(result: BatchResult): string {
  const { submit, expansion, memory, drain, lanes, fairness } = result;
  const share = drain.toCompletedPerSecond / drain.baseline.perSecond;
  const rows: Array<[string, string]> = [
    ['1. input file', `${submit.lines} lines, ${formatMiB(submit.fileBytes)}`],
    ['1. upload (POST /v1/files)', seconds(submit.uploadMs)],
    ['1. POST /v1/batches → `in_progress` (validation)', seconds(submit.createToInProgressMs)],
    ['1. API RSS before → peak over upload and validation', `${formatMiB(submit.apiRssBeforeBytes)} → ${formatMiB(submit.apiPeakRssBytes)}`],
    ['1. validating worker peak RSS', formatMiB(submit.phaseWorkerPeakRssBytes)],
    ['2. expansion: `in_progress` → `expand_done` = 1', `${seconds(expansion.elapsedMs)}, ${perSecond(expansion.perSecond)} (chunks of ${expansion.chunkSize})`],
    ['2. expanding worker RSS before → peak, CPU', `${formatMiB(expansion.workerRssBeforeBytes)} → ${formatMiB(expansion.workerPeakRssBytes)}, ${formatNumber(expansion.workerCpuPercent, 0)}%`],
    ['3. drain: first line done → last line done', `${seconds(drain.linesElapsedMs)}, ${perSecond(drain.linesPerSecond)} (${drain.completed} completed, ${drain.failed} failed)`],
    ['3. drain: first line done → batch `completed`', `${seconds(drain.toCompletedMs)}, ${perSecond(drain.toCompletedPerSecond)} (finalize ${seconds(drain.finalizeMs)})`],
    ['3. raw BullMQ: addBulk backlog drained by a no-op Worker', `${drain.baseline.jobs} jobs in ${seconds(drain.baseline.elapsedMs)}, ${formatNumber(drain.baseline.perSecond, 0)} jobs/s`],
    ['3. batch drain ÷ raw BullMQ drain (to `completed`, concurrency ' + drain.workerConcurrency + ')', `${formatNumber(share, 2)}× (lines alone ${formatNumber(drain.linesPerSecond / drain.baseline.perSecond, 2)}×)`],
    ['3. draining worker peak RSS, CPU; redis-server CPU', `${formatMiB(drain.workerPeakRssBytes)}, ${formatNumber(drain.workerCpuPercent, 0)}%; ${formatNumber(drain.redisCpuPercent, 0)}%`],
    ['3. lines active in the lane queue while draining (mean, max)', `${formatNumber(drain.meanActiveLines, 1)}, ${formatNumber(drain.maxActiveLines, 0)} of ${drain.workerConcurrency} slots`],
    ['3. Redis commands per line (batch) / per job (raw BullMQ)', `${commandSummary(drain.redisCommandsPerLine)} / ${commandSummary(drain.baseline.redisCommandsPerJob)}`],
    ['4. sync p99 without → with a batch draining', `${formatNumber(lanes.without.latencyMs.p99, 1)} → ${formatNumber(lanes.with.latencyMs.p99, 1)} ms (+${formatNumber(lanes.with.latencyMs.p99 - lanes.without.latencyMs.p99, 1)} ms; one job is ${lanes.jobMs} ms)`],
    ['4. batch lines done during the sync run', `${lanes.batchLinesDuringRun}${lanes.drainingThroughout ? ', batch still draining at its end' : ', batch NOT draining throughout'}`],
    ['5. A\'s lines done between B\'s create and B\'s last line', `${fairness.largeCompletedSinceCreate} (expected about ${fairness.smallLines} + ${fairness.workerConcurrency} slots once B's lines are queued)`],
    ['5. A\'s lines done between B\'s first line queued and B\'s last line', String(fairness.largeCompletedSinceQueued)],
    ['5. B after its create: `in_progress`, lines queued, last line done, `completed`', `${seconds(fairness.createToInProgressMs)}, ${seconds(fairness.createToQueuedMs)}, ${seconds(fairness.createToLastLineMs)}, ${seconds(fairness.turnaroundMs)}`],
    ['6. Redis `used_memory` per queued line', `${bytes(memory.redisBytesPerLine)} (${formatMiB(memory.redisUsedBeforeBytes)} → ${formatMiB(memory.redisUsedAfterBytes)})`],
    ['6. of which a line job hash (MEMORY USAGE, mean of ' + memory.lineJobsSampled + ')', bytes(memory.lineJobHashBytes)],
    ['6. batch record + settled bitmap (BatchStore.memoryUsage)', `${bytes(memory.batchRecordBytes)} queued (${formatNumber(memory.batchRecordBytes / memory.lines, 2)} B per line), ${bytes(memory.batchRecordBytesSettled)} all lines settled, ${bytes(memory.batchRecordBytesFinal)} completed`],
    ['6. lane events stream entries after expansion', String(memory.eventsStreamLength)],
    ['6. API RSS across the expansion', `${formatMiB(memory.apiRssBeforeBytes)} → ${formatMiB(memory.apiRssAfterBytes)} (${perLine(memory.apiRssAfterBytes - memory.apiRssBeforeBytes, memory.lines)})`],
    ['6. phase worker RSS across validation and expansion', `${formatMiB(memory.workerRssBeforeBytes)} → ${formatMiB(memory.workerRssAfterBytes)} (${perLine(memory.workerRssAfterBytes - memory.workerRssBeforeBytes, memory.lines)})`],
  ];
  const figures = formatMarkdownTable(
    [
      { header: 'measure', render: (row: [string, string]) => row[0] },
      { header: 'value', render: (row: [string, string]) => row[1] },
    ],
    rows,
  );
  const latency = formatMarkdownTable<HttpRunResult>(
    [
      { header: 'run', render: (row) => row.label },
      { header: 'req/s', align: 'right', render: (row) => formatNumber(row.requestsPerSecond, 0) },
      { header: 'p50 ms', align: 'right', render: (row) => formatNumber(row.latencyMs.p50, 1) },
      { header: 'p95 ms', align: 'right', render: (row) => formatNumber(row.latencyMs.p95, 1) },
      { header: 'p99 ms', align: 'right', render: (row) => formatNumber(row.latencyMs.p99, 1) },
      { header: 'max ms', align: 'right', render: (row) => formatNumber(row.latencyMs.max, 1) },
      { header: 'requests', align: 'right', render: (row) => String(row.completed) },
      { header: 'errors', align: 'right', render: (row) => String(row.errors) },
      { header: 'worker CPU', align: 'right', render: (row) => (row.worker ? `${formatNumber(row.worker.cpuPercent, 0)}%` : '—') },
    ],
    [lanes.without, lanes.with],
  );
  return `${figures}\n\nSync calls on a worker with ${lanes.workerConcurrency} slots and ${lanes.jobMs} ms per image (cached synthetic engine):\n\n${latency}`;
}

/** Total commands per line and the five most called, e.g. `12.1: evalsha 3.0, hget 2.0, …`. */
function commandSummary(perLine: Array<[string, number]>): string {
  const total = perLine.reduce((sum, [, calls]) => sum + calls, 0);
  return `${formatNumber(total, 1)} (${perLine.slice(0, 5).map(([name, calls]) => `${name} ${formatNumber(calls, 1)}`).join(', ')})`;
}
