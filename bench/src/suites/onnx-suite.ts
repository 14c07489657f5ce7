import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SuiteContext } from './suite-context';

const run = promisify(execFile);

export interface OnnxStepOverheadResult {
  steps: number;
  convWidth: number;
  runs: number;
  unetStepMs: number;
  hostStepMs: number;
  hostStepPercent: number;
  once: { tokenizerMs: number; textEncoderMs: number; vaeDecoderMs: number; pixelsMs: number; pngMs: number };
  hostRunPercent: number;
  wallMs: number;
  /** Runs with `count` stream previews per image against runs without, alternating: the engine's own decode, then with each preview scaled and PNG-encoded as the worker stores it. */
  previews?: { count: number; projection: PreviewCost; projectionEncoded: PreviewCost; tinyDecoderEncoded: PreviewCost };
}

export interface PreviewCost {
  withMs: number;
  withoutMs: number;
  costPercent: number;
}

/**
 * The onnx engine's own overhead over ONNX Runtime: a tiny SD pipeline built at run time with a
 * realistically sized UNet input (64x64x4 latents, batch 2 under guidance), on the CPU provider.
 */
export async function runOnnxSuite(context: SuiteContext): Promise<OnnxStepOverheadResult> {
  const script = join(context.repoRoot, 'packages/engine-onnx/bench/onnx-step-overhead.bench.ts');
  const steps = context.options.quick ? '5' : '20';
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script, steps, '128', '--json'], {
    cwd: context.repoRoot,
    timeout: 300_000,
    maxBuffer: 1 << 20,
  });
  const lines = stdout.trim().split('\n');
  for (const line of lines.slice(0, -1)) context.log(line);
  return JSON.parse(lines.at(-1) ?? '{}') as OnnxStepOverheadResult;
}
