import type { PipelineResult } from '../suites/pipeline-suite';
import { formatMarkdownTable, formatNumber } from './markdown-table';

/** Medians per slot count, then every run. */
export function pipelineTables(result: PipelineResult): string {
  const summary = formatMarkdownTable(
    [
      { header: 'worker slots', align: 'right', render: (row) => String(row.slots) },
      { header: 'images/s', align: 'right', render: (row) => formatNumber(row.imagesPerSecond, 1) },
      { header: 'vs serial', align: 'right', render: (row) => `${formatNumber(row.speedup, 2)}×` },
      { header: 'device busy', align: 'right', render: (row) => `${formatNumber(row.deviceBusyShare * 100, 1)}%` },
    ],
    result.summary,
  );
  const runs = formatMarkdownTable(
    [
      { header: 'round', align: 'right', render: (row) => String(row.round) },
      { header: 'slots', align: 'right', render: (row) => String(row.slots) },
      { header: 'jobs', align: 'right', render: (row) => String(row.jobs) },
      { header: 'wall s', align: 'right', render: (row) => formatNumber(row.wallMs / 1000, 2) },
      { header: 'images/s', align: 'right', render: (row) => formatNumber(row.imagesPerSecond, 1) },
      { header: 'device busy', align: 'right', render: (row) => `${formatNumber(row.deviceBusyShare * 100, 1)}%` },
    ],
    result.runs,
  );
  return `One worker in the benchmark's process, its synthetic engine \`exclusive\` (one run at a time on its device, as a GPU engine) painting ${result.size} and waiting ${result.engineDelayMs} ms per image under the device lock; PNG encoding and the upload to ${result.storage} happen outside it. Every job of a run is queued (async lane, through the API) before the worker starts; a run lasts from its first job's start to its last job's end as BullMQ recorded them. "Device busy" is the time the device lock was held over that wall time: with one slot the device waits for every encode and upload, with two the next job is on the device while the last one is stored.

${summary}

${runs}`;
}
