/**
 * Per-step cost of the onnx engine split into ONNX Runtime time (session.run) and host time
 * (tokenizer, scheduler, guidance arithmetic, tensor copies, pixel conversion, PNG encoding).
 * The UNet is a small conv stack with realistic input: 64×64×4 latents (512 px), batch 2 under
 * guidance. Run: pnpm exec tsx packages/engine-onnx/bench/onnx-step-overhead.bench.ts [steps] [channels]
 */
import { encodeImage } from '@imageforge/engine-core';
import { createOnnxEngine } from '../src/onnx-engine';
import type { PipelineTimingHook, TimingKind } from '../src/pipeline/pipeline-timing';
import { writeConvUNet } from '../test/fixtures/conv-unet';
import { writeTinySdModel } from '../test/fixtures/tiny-sd-model';

const positional = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
/** `--json` prints one JSON line of figures last, for `pnpm bench` to collect. */
const asJson = process.argv.includes('--json');
const steps = Number(positional[0] ?? 20);
// Width 128 makes a step cost about what a real SD UNet step costs on a GPU (tens of ms); pass 64 for a cheaper one.
const channels = Number(positional[1] ?? 128);

class Totals implements PipelineTimingHook {
  readonly ms = new Map<string, { total: number; count: number }>();
  record(kind: TimingKind, phase: string, ms: number): void {
    const key = `${kind}:${phase}`;
    const entry = this.ms.get(key) ?? { total: 0, count: 0 };
    entry.total += ms;
    entry.count += 1;
    this.ms.set(key, entry);
  }
  get(key: string) {
    return this.ms.get(key) ?? { total: 0, count: 0 };
  }
  clear(): void {
    this.ms.clear();
  }
}

async function main(): Promise<void> {
  const model = await writeTinySdModel({ scalingFactor: 8 });
  await writeConvUNet(model.dir, channels);
  const totals = new Totals();
  const engine = createOnnxEngine({ kind: 'onnx', modelDir: model.dir, steps, guidanceScale: 7.5 }, { timing: totals });
  await engine.load();
  const request = { model: 'bench', n: 1, width: 512, height: 512, quality: 'standard', background: 'auto' as const, seed: 5, prompt: 'a red cat', output: { format: 'png' as const } };
  await engine.generate(request, { signal: new AbortController().signal });
  totals.clear();
  const runs = 5;
  const started = performance.now();
  for (let i = 0; i < runs; i++) {
    const result = await engine.generate({ ...request, seed: i }, { signal: new AbortController().signal });
    const t = performance.now();
    await encodeImage(result.images[0]!, { format: 'png', background: 'opaque' });
    totals.record('host', 'png', performance.now() - t);
  }
  const wall = (performance.now() - started) / runs;
  const previews = {
    projection: await previewCost(engine, request, runs, false),
    projectionEncoded: await previewCost(engine, request, runs, true),
  };
  await engine.close();
  await model.remove();
  const tinyModel = await writeTinySdModel({ scalingFactor: 8, previewDecoder: 'taesd_decoder' });
  await writeConvUNet(tinyModel.dir, channels);
  const tinyEngine = createOnnxEngine({ kind: 'onnx', modelDir: tinyModel.dir, steps, guidanceScale: 7.5 });
  await tinyEngine.load();
  await tinyEngine.generate(request, { signal: new AbortController().signal });
  const tinyDecoderEncoded = await previewCost(tinyEngine, request, runs, true);
  await tinyEngine.close();
  await tinyModel.remove();

  const perRun = (key: string) => totals.get(key).total / runs;
  const unet = totals.get('onnx:unet');
  const stepHost = totals.get('host:step');
  const unetStep = unet.total / unet.count;
  const hostStep = stepHost.total / stepHost.count;
  const onceHost = perRun('host:tokenizer') + perRun('host:pixels') + perRun('host:png');
  const onceOnnx = perRun('onnx:text_encoder') + perRun('onnx:vae_decoder');
  const fmt = (ms: number) => `${ms.toFixed(3)} ms`;
  console.log(`onnx step overhead: 64x64x4 latents, UNet batch 2 (guidance), conv width ${channels}, ${steps} steps, ${runs} runs, CPU provider`);
  console.log(`per step   onnx (unet session.run) ${fmt(unetStep)}   host (scheduler, guidance, copies, fp conversion) ${fmt(hostStep)}`);
  console.log(`per step   host overhead ${((100 * hostStep) / (hostStep + unetStep)).toFixed(2)} % of a step`);
  console.log(`per image  once: tokenizer ${fmt(perRun('host:tokenizer'))}, text_encoder ${fmt(perRun('onnx:text_encoder'))}, vae_decoder ${fmt(perRun('onnx:vae_decoder'))}, pixels ${fmt(perRun('host:pixels'))}, png ${fmt(perRun('host:png'))}`);
  const hostTotal = hostStep * steps + onceHost;
  const onnxTotal = unetStep * steps + onceOnnx;
  console.log(`per image  host ${fmt(hostTotal)} + onnx ${fmt(onnxTotal)} (wall ${fmt(wall)}): host ${((100 * hostTotal) / (hostTotal + onnxTotal)).toFixed(2)} % of the run`);
  const cost = (entry: PreviewCost) => `${fmt(entry.withMs)} vs ${fmt(entry.withoutMs)} (+${entry.costPercent.toFixed(2)} %)`;
  console.log(`previews   ${PREVIEWS} per image: latent projection ${cost(previews.projection)}; with png encoding ${cost(previews.projectionEncoded)}; tiny decoder with png encoding ${cost(tinyDecoderEncoded)}`);
  if (asJson) {
    console.log(
      JSON.stringify({
        steps,
        convWidth: channels,
        runs,
        unetStepMs: unetStep,
        hostStepMs: hostStep,
        hostStepPercent: (100 * hostStep) / (hostStep + unetStep),
        once: {
          tokenizerMs: perRun('host:tokenizer'),
          textEncoderMs: perRun('onnx:text_encoder'),
          vaeDecoderMs: perRun('onnx:vae_decoder'),
          pixelsMs: perRun('host:pixels'),
          pngMs: perRun('host:png'),
        },
        hostRunPercent: (100 * hostTotal) / (hostTotal + onnxTotal),
        wallMs: wall,
        previews: { count: PREVIEWS, ...previews, tinyDecoderEncoded },
      }),
    );
  }
}

const PREVIEWS = 3;

interface PreviewCost {
  withMs: number;
  withoutMs: number;
  costPercent: number;
}

/**
 * Wall time of a run with stream previews over one without, alternating the two so drift falls
 * on both. `encoded`: each preview is also scaled to the request's size and PNG-encoded, queued
 * by the callback and awaited at the end, as the worker stores previews while the steps go on.
 */
async function previewCost(engine: ReturnType<typeof createOnnxEngine>, request: Parameters<ReturnType<typeof createOnnxEngine>['generate']>[0], runs: number, encoded: boolean): Promise<PreviewCost> {
  let withMs = 0;
  let withoutMs = 0;
  let seen = 0;
  let stored: Promise<unknown> = Promise.resolve();
  const size = { width: request.width, height: request.height };
  const onPreview = async (preview: { image: unknown }) => {
    seen += 1;
    if (encoded) stored = stored.then(() => encodeImage(preview.image as Parameters<typeof encodeImage>[0], { format: 'png', background: 'opaque', size, fast: true }));
  };
  for (let i = 0; i < runs * 2; i++) {
    const previewing = i % 2 === 0;
    const t = performance.now();
    await engine.generate({ ...request, seed: i, partialImages: previewing ? PREVIEWS : 0 }, { signal: new AbortController().signal, ...(previewing ? { onPreview } : {}) });
    await stored;
    if (previewing) withMs += performance.now() - t;
    else withoutMs += performance.now() - t;
  }
  if (seen !== runs * PREVIEWS) throw new Error(`expected ${runs * PREVIEWS} previews, saw ${seen}`);
  return { withMs: withMs / runs, withoutMs: withoutMs / runs, costPercent: ((withMs - withoutMs) / withoutMs) * 100 };
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
