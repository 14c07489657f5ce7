import type { BatchResult } from '../suites/batch-suite';
import type { OnnxStepOverheadResult, PreviewCost } from '../suites/onnx-suite';
import type { BenchResults, SuiteOutcome } from '../bench-results';
import { formatMarkdownTable, formatMiB } from './markdown-table';
import { batchTables } from './batch-tables';
import { limitsTables, opsCostTables } from './paired-sync-tables';
import { batchingTables } from './batching-tables';
import { pipelineTables } from './pipeline-tables';
import { streamingTables } from './streaming-tables';
import { chaosTables, uploadsTable } from './resilience-tables';
import { asyncTables, baselineTables, longTable, memoryTable, syncTable } from './suite-tables';

function section<T>(title: string, outcome: SuiteOutcome<T> | undefined, render: (result: T) => string): string {
  if (!outcome) return `### ${title}\n\nNot run in this invocation (\`--only\`).`;
  if (outcome.status !== 'measured') return `### ${title}\n\nNot measured: ${outcome.reason}`;
  return `### ${title}\n\n${render(outcome as T)}`;
}

/** The goals table alone, also printed to the console at the end of a run. */
export function goalsTable(results: BenchResults): string {
  return formatMarkdownTable(
    [
      { header: 'goal', render: (row) => row.goal },
      { header: 'measured', render: (row) => row.measured },
      { header: 'holds', render: (row) => (row.holds === 'not measured' ? 'not measured' : row.holds ? 'yes' : 'NO') },
    ],
    results.goals,
  );
}

/** Renders docs/benchmarks.md from one run's results. */
export function renderBenchmarkReport(results: BenchResults): string {
  const { machine } = results;
  const baseline = results.baseline?.status === 'measured' ? results.baseline : undefined;
  return `# Benchmarks

What the queue in front of the GPUs costs, next to raw BullMQ measured in the same run on the same machine.
Regenerate with \`pnpm bench\` (about ${results.mode === 'quick' ? 'one minute with `--quick`' : 'eight to thirteen minutes'}); \`--quick\` shrinks every run for a smoke test,
\`--only=baseline,sync,async,long,memory,uploads,onnx,batch,limits,streaming,pipeline,ops,batching\` (or \`gpu\` for pipeline and batching) picks suites (\`--batch-lines=N\` shrinks the batch suite's 50,000-line batch; \`--only=chaos [--seed=N]\` runs the fault-injection suite, never part of a plain run), \`--cpu-prof\` writes V8 profiles of the API and worker to \`bench/results/profiles\`.
Raw numbers of each run go to \`bench/results/*.json\` for comparing runs.

- Run: ${results.startedAt} → ${results.finishedAt} (${results.mode === 'quick' ? '`--quick`, smaller counts: indicative only' : 'full'})
- Machine: ${machine.cpuModel}, ${machine.cores} cores, ${formatMiB(machine.memoryBytes)} RAM, ${machine.kernel}
- Node ${machine.node}, Redis ${machine.redis} (AOF everysec, noeviction)

## Goals

${goalsTable(results)}

## Results

${section('1. Baseline: raw BullMQ, no HTTP', results.baseline, baselineTables)}

${section('2. Sync: POST /v1/images/generations through API → queue → worker', results.sync, (sync) => syncTable(sync, baseline))}

${section('3. Async: Prefer: respond-async, then poll GET /v1/images/jobs/{id}', results.async, asyncTables)}

${section('4. Long jobs: 2 s per image, 200 concurrent sync waiters', results.long, (long) => `Clients start spread over one job length and each sends its next request when the previous one answers.\n\n${longTable(long)}\n\nAPI heap: ${long.heapSource}.`)}

${section('5. Memory across many jobs', results.memory, (memory) => `${memoryTable(memory)}\n\nRetention: ${memory.retention}. Redis bytes per retained job: ${Math.round(memory.redisBytesPerRetainedJob)} (growth of \`used_memory\` from the first to the last reading divided by the growth in retained jobs; includes the events stream and the AOF buffers).`)}

${section('6. Uploads: API memory under concurrent edits of the largest inputs', results.uploads, uploadsTable)}

${section('7. ONNX engine: host overhead per diffusion step', results.onnx, onnxTable)}

${section('8. Batch API: a full batch submitted, expanded and drained; lanes and owners', results.batch, batchSection)}

${section('9. Rate limits: the limiter on the sync hot path', results.limits, limitsTables)}

${section('10. Streaming: time to first partial image and what a stream costs', results.streaming, streamingTables)}

${section('11. GPU stage: pipelined workers against serial ones', results.pipeline, pipelineTables)}

${section('12. Dashboard bookkeeping on the sync hot path', results.ops, opsCostTables)}

${section('13. Dynamic batching: compatible generations sharing one UNet pass', results.batching, batchingTables)}

${results.chaos ? section('14. Chaos: faults injected under load', results.chaos, chaosTables) : ''}

## Method

- Every process is separate, as in production: a redis-server started by the benchmark (\`appendonly yes\`, \`appendfsync everysec\`, \`maxmemory-policy noeviction\`), the API (\`apps/api/src/main.ts\`), the worker (\`apps/worker/src/main.ts\`), and a load-generator process; all share the machine's cores, so each table is a ratio within one run rather than a capacity figure.
- Each suite starts its own Redis, API and worker, so no suite inherits another's retained jobs.
- Closed loop: each client sends its next request when the previous one answers, over HTTP/1.1 keep-alive on loopback. The first ${'`'}warm-up${'`'} stretch is discarded; throughput counts successes over the measured stretch; percentiles are nearest-rank over every measured request.
- Baseline: a caller process runs \`Queue.add\` then waits for that job's \`completed\` event through ONE shared \`QueueEvents\` and a map of waiters (not \`waitUntilFinished\`); a separate worker process runs a no-op processor at concurrency 50. Jobs carry a payload shaped like the service's and the same retention options.
- Ours: a bench-only model registry (\`bench-fast\` on the \`synthetic\` engine with the \`dall-e-2\` profile at its smallest size, 256x256, no delay; \`bench-slow\` with 2 s per image) and a local storage directory; worker concurrency 50 for sync/async/memory, 256 for long jobs.
- The synthetic engine paints and PNG-encodes every image on the worker's CPU (several ms at 256x256, the smallest size the service accepts), which a GPU worker would not spend. So the sync and long-job suites also run a second model on the engine's **cached rendering** (\`"render": "cached"\`): the real worker runs each job, stores and answers it, but the image is one file prepared per size and format, so the engine costs almost nothing. Those rows are the service's own cost (API, queue, worker, storage), the figure the goals are about; the synthetic-engine rows show the whole path on this CPU-only machine.
- The stage breakdown reads the job's timestamps from Redis (\`timestamp\`, \`processedOn\`, \`finishedOn\`, the payload's \`acceptedAt\`, the result's \`finishedAt\`) next to the client's send and receive times.
- CPU shares come from \`/proc/<pid>/stat\` (100% = one core) over the measured stretch; RSS from \`/proc/<pid>/status\`.
`;
}

function batchSection(batch: BatchResult): string {
  return `Three parts, each on its own Redis: a ${batch.submit.lines}-line generations file (dall-e-2, 256x256, url) uploaded and run as one batch, first by a worker that serves only the batch phases (validate, expand) so the expanded batch can be weighed before any line runs, then drained by an image worker at concurrency ${batch.drain.workerConcurrency} on the cached synthetic engine; raw BullMQ draining as many no-op jobs (addBulk, one \`Worker\`, same concurrency) in the same run; and a worker with ${batch.lanes.workerConcurrency} slots at ${batch.lanes.jobMs} ms per image, where ${batch.lanes.without.concurrency} sync clients run alone and then beside owner A's ${batch.lanes.batchLines}-line batch, after which owner B submits ${batch.fairness.smallLines} lines. Times come from polling the batch record in Redis every 20-50 ms and from BullMQ's \`finishedOn\` of each line.

${batchTables(batch)}`;
}

function onnxTable(onnx: OnnxStepOverheadResult): string {
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  return `A tiny Stable Diffusion pipeline built at run time (\`packages/engine-onnx/bench\`), UNet a ${onnx.convWidth}-wide conv stack fed 64x64x4 latents at batch 2 (guidance), ${onnx.steps} steps, ${onnx.runs} runs, CPU provider. Host time is everything that is not \`session.run\`: scheduler, guidance arithmetic, tensor copies, fp conversion; the once-per-image rows add tokenizer, pixel conversion and PNG encoding. Goal: host overhead under 5% of a step.

| per step | ONNX Runtime (UNet) | host | host share |
| --- | ---: | ---: | ---: |
| | ${ms(onnx.unetStepMs)} | ${ms(onnx.hostStepMs)} | ${onnx.hostStepPercent.toFixed(2)} % |

Once per image: tokenizer ${ms(onnx.once.tokenizerMs)}, text encoder ${ms(onnx.once.textEncoderMs)}, VAE decoder ${ms(onnx.once.vaeDecoderMs)}, pixel conversion ${ms(onnx.once.pixelsMs)}, PNG ${ms(onnx.once.pngMs)}; host share of a whole image ${onnx.hostRunPercent.toFixed(2)} % (wall ${ms(onnx.wallMs)}).${onnx.previews ? previewRows(onnx.previews) : ''}`;
}

function previewRows(previews: NonNullable<OnnxStepOverheadResult['previews']>): string {
  const row = (label: string, cost: PreviewCost) => `| ${label} | ${cost.withoutMs.toFixed(1)} ms | ${cost.withMs.toFixed(1)} ms | ${cost.costPercent.toFixed(1)} % |`;
  return `

Stream previews, ${previews.count} per image, runs with and without them alternating. The engine hands each preview over at its decoder's resolution and goes on; the worker scales and encodes it in libvips while the next steps run. On this CPU-only machine ONNX Runtime already uses every core, so the encoding competes with the UNet; with the UNet on a GPU it runs on otherwise idle cores. Goal: previews slow a run by less than 10%.

| previews | run without | run with | cost |
| --- | ---: | ---: | ---: |
${row('latent-to-RGB projection (engine only)', previews.projection)}
${row('projection, scaled to 512x512 and PNG-encoded', previews.projectionEncoded)}
${row('tiny decoder, PNG-encoded', previews.tinyDecoderEncoded)}`;
}
