import type { StreamingResult } from '../suites/streaming-suite';
import { formatMarkdownTable, formatNumber } from './markdown-table';

const ms = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '—' : formatNumber(value, 0));

/** One row per variant and caller count: headers, first partial and final answer, and the stream's cost over the plain call. */
export function streamingTables(result: StreamingResult): string {
  const table = formatMarkdownTable(
    [
      { header: 'call', render: (row) => row.variant },
      { header: 'callers', align: 'right', render: (row) => String(row.concurrency) },
      { header: 'calls', align: 'right', render: (row) => String(row.calls) },
      { header: 'headers p50 ms', align: 'right', render: (row) => ms(row.headers.p50) },
      { header: 'first partial p50 ms', align: 'right', render: (row) => ms(row.firstPartial?.p50) },
      { header: 'first partial p95 ms', align: 'right', render: (row) => ms(row.firstPartial?.p95) },
      { header: 'image p50 ms', align: 'right', render: (row) => ms(row.completed.p50) },
      { header: 'image p95 ms', align: 'right', render: (row) => ms(row.completed.p95) },
      { header: 'over plain p50', align: 'right', render: (row) => (row.overheadMs === undefined ? '—' : `${formatNumber(row.overheadMs, 1)} ms (${formatNumber(row.overheadPercent ?? 0, 1)}%)`) },
      { header: 'errors', align: 'right', render: (row) => String(row.errors) },
    ],
    result.rows,
  );
  return `One API and one worker, a GPT-profile model on the synthetic engine at ${result.engineDelayMs} ms per image, ${result.size} jpeg at quality low, each call measured from sending the request. "plain" is the sync call answered with \`b64_json\`; the streams ask \`stream: true\` with \`partial_images\` 0, 2 and 3, the image time being that of the \`image_generation.completed\` event. ${result.rounds} rounds, each taking every variant in a rotated order, so all meet the same machine; "over plain" compares the medians. A partial is stored by the worker, announced on the job event stream and read back by the API, so its time includes storage and Redis as well as the engine's place in the run (partial k of p at (k+1)/(p+1) of the delay).

${table}`;
}
