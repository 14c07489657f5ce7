import type { ChaosResult } from '../suites/chaos-suite';
import type { UploadsResult } from '../suites/uploads-suite';
import { formatMarkdownTable, formatMiB } from './markdown-table';

export function uploadsTable(result: UploadsResult): string {
  return formatMarkdownTable(
    [
      { header: 'run', render: (row) => row.label },
      { header: 'bytes per upload', align: 'right', render: (row) => formatMiB(row.bytesPerUpload) },
      { header: 'accepted', align: 'right', render: (row) => String(row.accepted) },
      { header: 'errors', align: 'right', render: (row) => String(row.errors) },
      { header: 'API RSS before', align: 'right', render: (row) => formatMiB(row.apiRssBeforeBytes) },
      { header: 'API RSS peak', align: 'right', render: (row) => formatMiB(row.apiPeakRssBytes) },
      { header: 'peak growth per upload', align: 'right', render: (row) => formatMiB((row.apiPeakRssBytes - row.apiRssBeforeBytes) / row.uploads) },
    ],
    result.runs,
  );
}

/** The chaos run as one table of counts, the faults it injected, and why jobs failed. */
export function chaosTables(result: ChaosResult): string {
  const { load, audit, rss } = result;
  const rows: Array<[string, string]> = [
    ['seed, window', `${result.seed}, ${Math.round(result.durationMs / 1000)} s`],
    ['faults', result.faults.map((fault) => `${fault.kind}@${(fault.atMs / 1000).toFixed(0)}s`).join(', ')],
    ['jobs submitted (async accepted + sync)', `${audit.jobs} (${load.asyncAccepted} + ${load.syncJobs})`],
    ['async submissions retried / never accepted', `${load.asyncRetries} / ${load.asyncGaveUp}`],
    ['completed', String(audit.completed)],
    ['failed', `${audit.failed}${Object.keys(audit.failedReasons).length ? ` (${Object.entries(audit.failedReasons).map(([reason, count]) => `${count}× ${reason}`).join('; ')})` : ''}`],
    ['lost', String(audit.lost)],
    ['duplicated outputs', String(audit.duplicatedOutputs)],
    ['completed without their output', String(audit.missingOutputs)],
    ['re-executed (started more than once)', String(audit.reExecuted)],
    ['sync requests', String(load.sync.requests)],
    ['sync: 200', String(load.sync.ok)],
    ['sync: error naming the job', String(load.sync.errorNamingJob)],
    ['sync: 503 with nothing queued', String(load.sync.refusedNothingQueued)],
    ['sync: other errors', Object.entries(load.sync.otherErrors).map(([code, count]) => `${count}× ${code}`).join(', ') || '0'],
    ['sync: no answer (hang or connection lost)', String(load.sync.noAnswer)],
    ['API RSS before → after', `${formatMiB(rss.apiBefore)} → ${formatMiB(rss.apiAfter)}`],
    ['worker RSS (sum) before → after', `${formatMiB(rss.workersBefore)} → ${formatMiB(rss.workersAfter)}`],
    ['drain after the window', `${(audit.drainMs / 1000).toFixed(1)} s`],
  ];
  return formatMarkdownTable(
    [
      { header: 'measure', render: (row) => row[0] },
      { header: 'value', render: (row) => row[1] },
    ],
    rows,
  );
}
