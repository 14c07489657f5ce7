import type { BatchingResult } from '../suites/batching-suite';
import { formatMarkdownTable, formatNumber } from './markdown-table';

/** Medians per UNet width, then every run. */
export function batchingTables(result: BatchingResult): string {
  const summary = formatMarkdownTable(
    [
      { header: 'conv width', align: 'right', render: (row) => String(row.width) },
      { header: 'images/s on', align: 'right', render: (row) => formatNumber(row.imagesPerSecondOn, 2) },
      { header: 'images/s off', align: 'right', render: (row) => formatNumber(row.imagesPerSecondOff, 2) },
      { header: 'on vs off', align: 'right', render: (row) => `${formatNumber(row.speedup, 2)}×` },
      { header: 'UNet calls per image-step on / off', align: 'right', render: (row) => `${formatNumber(row.unetCallsPerImageStepOn, 2)} / ${formatNumber(row.unetCallsPerImageStepOff, 2)}` },
      { header: 'device busy on / off', align: 'right', render: (row) => `${formatNumber(row.deviceBusyShareOn * 100, 0)}% / ${formatNumber(row.deviceBusyShareOff * 100, 0)}%` },
      { header: 'loop images/s batch 1', align: 'right', render: (row) => formatNumber(row.standaloneImagesPerSecond, 2) },
      { header: `loop images/s batch ${result.maxBatch}`, align: 'right', render: (row) => formatNumber(row.standaloneBatchedImagesPerSecond, 2) },
      { header: 'worker (on) vs loop', align: 'right', render: (row) => `${formatNumber(row.onVsStandalone * 100, 1)}%` },
    ],
    result.summary,
  );
  const runs = formatMarkdownTable(
    [
      { header: 'round', align: 'right', render: (row) => String(row.round) },
      { header: 'conv width', align: 'right', render: (row) => String(row.width) },
      { header: 'batching', render: (row) => (row.batching ? 'on' : 'off') },
      { header: 'requests', align: 'right', render: (row) => String(row.requests) },
      { header: 'wall s', align: 'right', render: (row) => formatNumber(row.wallMs / 1000, 2) },
      { header: 'images/s', align: 'right', render: (row) => formatNumber(row.imagesPerSecond, 2) },
      { header: 'engine runs', align: 'right', render: (row) => String(row.engineRuns) },
      { header: 'device busy', align: 'right', render: (row) => `${formatNumber(row.deviceBusyShare * 100, 1)}%` },
    ],
    result.runs,
  );
  return `Tiny Stable Diffusion folders built by the benchmark, their UNet a conv stack (4→C→C→4, 3×3) of width C, on ONNX Runtime's CPU provider: ${result.size} images (32×32 latents), ${result.steps} steps, guidance on (each image is two UNet rows), \`maxBatch\` ${result.maxBatch}. ${result.clients} sync clients send one-image generations with different prompts through the API (a child process) to a worker in the benchmark's process with \`WORKER_CONCURRENCY\` ${result.workerConcurrency}, batching on (\`BATCH_WINDOW_MS\` ${result.windowMs}) and off (0) alternately in one run. UNet calls per image-step are the device lock's engine runs over images (each run is one UNet call per step): 1 alone, 1/${result.maxBatch} with full batches. "Device busy" is the time the device lock was held over the wall time: well below 100%, the run was limited by what happens outside the engine (the API, Redis, PNG encoding and storage share the machine's cores with ONNX Runtime), which batching does not shorten. The standalone loop makes the same engine calls and PNG encodes in the benchmark's process with no API, queue or storage, one image per call (batch 1) and ${result.maxBatch} one-image requests per \`generateMany\` (what batching gains the engine itself).

${summary}

${runs}`;
}
