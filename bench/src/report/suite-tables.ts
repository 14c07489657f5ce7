import type { AsyncResult, BaselineResult, HttpRunResult, LongJobRun, LongJobsResult, MemoryResult, ProcessUsage, SyncResult } from '../bench-results';
import type { ClosedLoopResult } from '../load/closed-loop';
import type { LatencySummary } from '../stats/latency-summary';
import type { StageTiming } from '../suites/stage-breakdown';
import { formatMarkdownTable, formatMiB, formatNumber, type TableColumn } from './markdown-table';

const ms = (value: number) => formatNumber(value, value < 10 ? 2 : 1);

function latencyColumns<Row>(pick: (row: Row) => LatencySummary): TableColumn<Row>[] {
  return [
    { header: 'p50 ms', align: 'right', render: (row) => ms(pick(row).p50) },
    { header: 'p95 ms', align: 'right', render: (row) => ms(pick(row).p95) },
    { header: 'p99 ms', align: 'right', render: (row) => ms(pick(row).p99) },
  ];
}

const loopColumns: TableColumn<ClosedLoopResult>[] = [
  { header: 'clients', align: 'right', render: (row) => String(row.concurrency) },
  { header: 'req/s', align: 'right', render: (row) => formatNumber(row.requestsPerSecond, 0) },
  ...latencyColumns<ClosedLoopResult>((row) => row.latencyMs),
  { header: 'requests', align: 'right', render: (row) => String(row.completed) },
  { header: 'errors', align: 'right', render: (row) => String(row.errors) },
];

const cpu = (usage: ProcessUsage | undefined) => (usage ? `${formatNumber(usage.cpuPercent, 0)}%` : '—');

export function baselineTables(result: BaselineResult): string {
  const backlog = formatMarkdownTable<{ step: string; rate: number; jobs: number; elapsedMs: number }>(
    [
      { header: 'step', render: (row) => row.step },
      { header: 'jobs', align: 'right', render: (row) => String(row.jobs) },
      { header: 'seconds', align: 'right', render: (row) => formatNumber(row.elapsedMs / 1000, 2) },
      { header: 'jobs/s', align: 'right', render: (row) => formatNumber(row.rate, 0) },
    ],
    [
      { step: 'addBulk (chunks of 1,000)', rate: result.backlogAdd.perSecond, jobs: result.backlogAdd.jobs, elapsedMs: result.backlogAdd.elapsedMs },
      { step: 'worker drains backlog (concurrency 50)', rate: result.backlogDrain.perSecond, jobs: result.backlogDrain.jobs, elapsedMs: result.backlogDrain.elapsedMs },
    ],
  );
  return `${formatMarkdownTable(loopColumns, result.addAndWait)}\n\n${backlog}`;
}

function httpColumns(baseline: BaselineResult | undefined): TableColumn<HttpRunResult>[] {
  const share = (row: HttpRunResult) => {
    const base = baseline?.addAndWait.find((run) => run.concurrency === row.concurrency);
    return base ? `${formatNumber((row.requestsPerSecond / base.requestsPerSecond) * 100, 0)}%` : '—';
  };
  return [
    { header: 'run', render: (row) => row.label },
    ...loopColumns.slice(0, 2),
    { header: 'of baseline', align: 'right', render: share },
    ...loopColumns.slice(2),
    { header: 'API CPU', align: 'right', render: (row) => cpu(row.api) },
    { header: 'worker CPU', align: 'right', render: (row) => cpu(row.worker) },
  ] as TableColumn<HttpRunResult>[];
}

export function syncTable(result: SyncResult, baseline: BaselineResult | undefined): string {
  const stages = result.breakdown.map((breakdown) => {
    const table = formatMarkdownTable(
      [
        { header: 'stage', render: (row: StageTiming) => row.stage },
        { header: 'mean ms', align: 'right', render: (row: StageTiming) => ms(row.meanMs) },
        { header: 'p50 ms', align: 'right', render: (row: StageTiming) => ms(row.p50Ms) },
      ],
      breakdown.stages,
    );
    return `Where the time goes, ${breakdown.label} (${breakdown.requests} sequential requests, from job timestamps):\n\n${table}`;
  });
  return [formatMarkdownTable(httpColumns(baseline), result.runs), ...stages].join('\n\n');
}

export function asyncTables(result: AsyncResult): string {
  const poll = formatMarkdownTable(httpColumns(undefined).filter((column) => column.header !== 'of baseline'), result.poll);
  const submit = formatMarkdownTable<{ clients: number; latency: LatencySummary }>(
    [{ header: 'clients', align: 'right', render: (row) => String(row.clients) }, ...latencyColumns((row: { latency: LatencySummary }) => row.latency)],
    result.submitLatencyMs.map((latency, index) => ({ clients: result.poll[index]?.concurrency ?? 0, latency })),
  );
  const burst = result.burst;
  const rates = formatMarkdownTable<{ step: string; jobs: number; elapsedMs: number; perSecond: number }>(
    [
      { header: 'burst', render: (row) => row.step },
      { header: 'jobs', align: 'right', render: (row) => String(row.jobs) },
      { header: 'seconds', align: 'right', render: (row) => formatNumber(row.elapsedMs / 1000, 2) },
      { header: 'per second', align: 'right', render: (row) => formatNumber(row.perSecond, 0) },
    ],
    [
      { step: `submissions (202), ${burst.submitErrors} errors`, ...burst.submissions },
      { step: `completions, ${burst.failed} failed`, ...burst.completions },
    ],
  );
  return `Submit, then poll until completed (end-to-end):\n\n${poll}\n\nThe 202 alone:\n\n${submit}\n\n${rates}`;
}

export function longTable(result: LongJobsResult): string {
  return formatMarkdownTable<LongJobRun>(
    [
      { header: 'run', render: (row) => row.run.label },
      { header: 'waiters', align: 'right', render: (row) => String(row.run.concurrency) },
      { header: 'jobs', align: 'right', render: (row) => String(row.run.completed) },
      { header: 'errors', align: 'right', render: (row) => String(row.run.errors) },
      { header: 'added p50 ms', align: 'right', render: (row) => ms(row.addedLatencyMs.p50) },
      { header: 'added p99 ms', align: 'right', render: (row) => ms(row.addedLatencyMs.p99) },
      { header: 'added max ms', align: 'right', render: (row) => ms(row.addedLatencyMs.max) },
      { header: 'API CPU', align: 'right', render: (row) => cpu(row.run.api) },
      { header: 'worker CPU', align: 'right', render: (row) => cpu(row.run.worker) },
      { header: 'API RSS (peak)', align: 'right', render: (row) => (row.run.api ? `${formatMiB(row.run.api.rssBytes)} (${formatMiB(row.run.api.peakRssBytes)})` : '—') },
      { header: 'API heap used', align: 'right', render: (row) => formatMiB(row.run.api?.heapUsedBytes) },
    ],
    result.runs,
  );
}

export function memoryTable(result: MemoryResult): string {
  return formatMarkdownTable(
    [
      { header: 'reading', render: (row) => row.label },
      { header: 'jobs', align: 'right', render: (row) => String(row.jobsSoFar) },
      { header: 'API RSS', align: 'right', render: (row) => formatMiB(row.apiRssBytes) },
      { header: 'API heap used', align: 'right', render: (row) => formatMiB(row.apiHeapUsedBytes) },
      { header: 'worker RSS', align: 'right', render: (row) => formatMiB(row.workerRssBytes) },
      { header: 'Redis used_memory', align: 'right', render: (row) => formatMiB(row.redisUsedMemory) },
      { header: 'retained jobs', align: 'right', render: (row) => String(row.retainedJobs) },
      { header: 'events stream', align: 'right', render: (row) => String(row.eventsStreamLength) },
    ],
    result.readings,
  );
}
