import type { LimitsResult } from '../suites/limits-suite';
import type { OpsCostResult } from '../suites/ops-cost-suite';
import type { PairedRun, PairedSummary } from '../suites/paired-sync-runs';
import { formatMarkdownTable, formatNumber } from './markdown-table';

const ms = (value: number) => formatNumber(value, value < 10 ? 2 : 1);
const cpu = (value: number | undefined) => (value === undefined ? '—' : formatNumber(value, 3));

/** Median of the rounds per client count, then every run as measured. */
function pairedTables(result: { summary: PairedSummary[]; runs: PairedRun[] }, feature: string): string {
  const summary = formatMarkdownTable(
    [
      { header: 'clients', align: 'right', render: (row) => String(row.concurrency) },
      { header: `${feature} off req/s`, align: 'right', render: (row) => formatNumber(row.offRps, 0) },
      { header: `${feature} on req/s`, align: 'right', render: (row) => formatNumber(row.onRps, 0) },
      { header: 'throughput cost', align: 'right', render: (row) => `${formatNumber(row.costPercent, 1)}%` },
      { header: 'CPU per request cost', align: 'right', render: (row) => (row.cpuCostPercent === undefined ? '—' : `${formatNumber(row.cpuCostPercent, 1)}%`) },
      { header: 'p50 off ms', align: 'right', render: (row) => ms(row.offP50Ms) },
      { header: 'p50 on ms', align: 'right', render: (row) => ms(row.onP50Ms) },
    ],
    result.summary,
  );
  const runs = formatMarkdownTable(
    [
      { header: 'round', align: 'right', render: (row) => String(row.round) },
      { header: feature, render: (row) => row.variant },
      { header: 'clients', align: 'right', render: (row) => String(row.run.concurrency) },
      { header: 'req/s', align: 'right', render: (row) => formatNumber(row.run.requestsPerSecond, 0) },
      { header: 'p50 ms', align: 'right', render: (row) => ms(row.run.latencyMs.p50) },
      { header: 'p99 ms', align: 'right', render: (row) => ms(row.run.latencyMs.p99) },
      { header: 'errors', align: 'right', render: (row) => String(row.run.errors) },
      { header: 'API CPU', align: 'right', render: (row) => (row.run.api ? `${formatNumber(row.run.api.cpuPercent, 0)}%` : '—') },
      { header: 'CPU ms/req API', align: 'right', render: (row) => cpu(row.cpuMsPerRequest?.api) },
      { header: 'Redis', align: 'right', render: (row) => cpu(row.cpuMsPerRequest?.redis) },
      { header: 'worker', align: 'right', render: (row) => cpu(row.cpuMsPerRequest?.worker) },
    ],
    result.runs,
  );
  return `${summary}\n\n${runs}`;
}

export function limitsTables(result: LimitsResult): string {
  const limits = Object.entries(result.limits)
    .map(([name, value]) => `\`${name}=${value}\``)
    .join(', ');
  return `Two API processes on one Redis and one worker (cached synthetic engine, sync b64_json): one with no limits, one with ${limits}, far above what the run reaches, so every request pays for its requests-per-minute script and every job for its admission script (images, daily quota, concurrency slot) without a refusal. ${result.rounds} rounds after an unmeasured warm-up of each, alternating which goes first; the cost is the median of each round's back-to-back pair, req/s and p50 the medians of each column. The worker releases each job's slot (one ZREM) for both, so that part is in both columns. Throughput moves with whatever else the machine runs; CPU milliseconds per request (the variant's API, Redis and the worker, from \`/proc\`) vary less, so the CPU column is a second estimate of what a CPU-bound host loses.

${pairedTables(result, 'limits')}`;
}

export function opsCostTables(result: OpsCostResult): string {
  return `Two deployments on one Redis, each its own API and worker under its own \`QUEUE_PREFIX\` (cached synthetic engine, sync b64_json): one with \`OPS_HISTORY=false\`, one writing the dashboard's history buckets per job (API on queueing, worker on settling). ${result.rounds} rounds after an unmeasured warm-up of each, alternating which goes first; the cost is the median of each round's back-to-back pair. CPU milliseconds per request are the variant's API, Redis (shared) and the variant's worker.

${pairedTables(result, 'history')}`;
}
