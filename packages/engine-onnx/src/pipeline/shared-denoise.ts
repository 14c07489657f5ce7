import { EngineAbortedError } from '@imageforge/engine-core';
import type { NoiseSource } from '../schedulers/scheduler';
import { readFloat32 } from '../sessions/session-tensors';
import type { DiffusionOutput, DiffusionPipelineParts, DiffusionRequest, PipelineRunOptions } from './diffusion-pipeline';
import { applyGuidance, repeatItem, scaled } from './latent-math';
import type { PipelineTimingHook } from './pipeline-timing';
import { previewStepIndices } from './preview-steps';
import { type Conditioning, selectRows } from './text-conditioning';
import { buildUNetFeeds } from './unet-inputs';

/** One text-to-image request of a shared denoise, with its own signal, progress and previews. */
export interface SharedDenoiseRun {
  request: DiffusionRequest;
  options: PipelineRunOptions;
}

/** One image of one run, as a row of the shared UNet batch. */
interface Item {
  run: number;
  /** Image index within its run: the seed offset and the preview's imageIndex. */
  index: number;
  noise: NoiseSource;
  /** Conditioning row of its run's prompt. */
  row: number;
}

interface RunState {
  /** Final [1,4,h,w] latents per image, filled as chunks finish. */
  images: Float32Array[];
  failure?: Error;
  done: number;
  total: number;
  previewAt: number[];
}

/** Per-image noise streams read as one, each image's share from its own source (as `BatchNoise`). */
function itemNoise(items: readonly Item[]): NoiseSource {
  return {
    randn(length: number): Float32Array {
      const share = length / items.length;
      const out = new Float32Array(length);
      items.forEach((item, i) => out.set(item.noise.randn(share), i * share));
      return out;
    },
  };
}

/**
 * Denoises several text-to-image requests' images as one UNet batch, chunked by `maxBatch`
 * images. Every operation outside the UNet is elementwise per image and each image draws its
 * noise from its own request's seed + k, so a request's latents are the ones it gets alone
 * (as far as the UNet's kernels give every batch size the same bits). A request whose signal
 * aborts, or whose progress callback throws, leaves at the next step boundary: its rows are
 * removed (schedulers keep no per-image state) and the others go on.
 */
export async function denoiseShared(
  parts: DiffusionPipelineParts,
  runs: readonly SharedDenoiseRun[],
  timing?: PipelineTimingHook,
): Promise<Array<DiffusionOutput | Error>> {
  const first = runs[0]?.request;
  if (!first) return [];
  const negative = first.negativePrompt ?? '';
  const guidedOf = (r: DiffusionRequest) => r.guidanceScale > 1 && r.prompt !== negative;
  const guided = guidedOf(first);
  for (const { request } of runs) {
    const same =
      request.latentWidth === first.latentWidth &&
      request.latentHeight === first.latentHeight &&
      request.steps === first.steps &&
      request.guidanceScale === first.guidanceScale &&
      (request.negativePrompt ?? '') === negative &&
      guidedOf(request) === guided &&
      !request.image;
    if (!same) throw new Error('a shared denoise needs text-to-image requests of one size, schedule and guidance');
  }
  const prompts = [...new Set(runs.map((run) => run.request.prompt))];
  const encoded = guided ? [negative, ...prompts] : prompts;
  const conditioning = await parts.conditioning.encode(encoded, timing);
  const rowOf = (prompt: string) => encoded.indexOf(prompt, guided ? 1 : 0);

  const probe = parts.createScheduler();
  probe.setTimesteps(first.steps);
  const steps = probe.timesteps.length;
  const all: Item[] = runs.flatMap((run, r) =>
    Array.from({ length: run.request.n }, (_, k) => ({ run: r, index: k, noise: parts.createNoise(run.request.seed + k), row: rowOf(run.request.prompt) })),
  );
  const chunks: Item[][] = [];
  for (let start = 0; start < all.length; start += parts.maxBatch) chunks.push(all.slice(start, start + parts.maxBatch));
  const states: RunState[] = runs.map((run, r) => ({
    images: [],
    done: 0,
    total: steps * chunks.filter((chunk) => chunk.some((item) => item.run === r)).length,
    previewAt: run.options.onLatentPreview ? previewStepIndices(steps, run.request.previews ?? 0) : [],
  }));
  for (const chunk of chunks) {
    const live = chunk.filter((item) => !states[item.run]!.failure);
    if (live.length > 0) await denoiseChunk(parts, { runs, states, items: live, conditioning, guided, timing });
  }
  return runs.map((run, r) => {
    const state = states[r]!;
    if (state.failure) return state.failure;
    const plane = 4 * run.request.latentHeight * run.request.latentWidth;
    const data = new Float32Array(run.request.n * plane);
    state.images.forEach((image, k) => data.set(image, k * plane));
    return {
      latents: { data, dims: [run.request.n, 4, run.request.latentHeight, run.request.latentWidth] },
      promptTokens: conditioning.tokenCounts[rowOf(run.request.prompt)] ?? 0,
    };
  });
}

async function denoiseChunk(
  parts: DiffusionPipelineParts,
  chunk: {
    runs: readonly SharedDenoiseRun[];
    states: RunState[];
    items: Item[];
    conditioning: Conditioning;
    guided: boolean;
    timing?: PipelineTimingHook;
  },
): Promise<void> {
  const { runs, states, conditioning, guided, timing } = chunk;
  const { latentHeight: h, latentWidth: w, steps, guidanceScale } = runs[0]!.request;
  const plane = 4 * h * w;
  const scheduler = parts.createScheduler();
  scheduler.setTimesteps(steps);
  const timesteps = scheduler.timesteps;
  let items = chunk.items;
  let latents = scaled(itemNoise(items).randn(items.length * plane), scheduler.initNoiseSigma);
  let rows: { hiddenStates: ReturnType<typeof selectRows>; extras: Record<string, ReturnType<typeof selectRows>> } | undefined;
  const fail = (run: number, error: Error) => {
    if (!states[run]!.failure) states[run]!.failure = error;
  };
  for (let i = 0; i < timesteps.length; i++) {
    for (const item of items) if (runs[item.run]!.options.signal.aborted) fail(item.run, new EngineAbortedError());
    const kept = items.filter((item) => !states[item.run]!.failure);
    if (kept.length === 0) return;
    if (kept.length !== items.length) {
      const next = new Float32Array(kept.length * plane);
      let at = 0;
      items.forEach((item, b) => {
        if (!states[item.run]!.failure) next.set(latents.subarray(b * plane, (b + 1) * plane), plane * at++);
      });
      latents = next;
      items = kept;
      rows = undefined;
    }
    if (!rows) {
      const order = items.map((item) => item.row);
      const selection = guided ? [...Array<number>(items.length).fill(0), ...order] : order;
      rows = {
        hiddenStates: selectRows(conditioning.hiddenStates, selection),
        extras: Object.fromEntries(Object.entries(conditioning.extras).map(([k, v]) => [k, selectRows(v, selection)])),
      };
    }
    const batch = items.length;
    const t = timesteps[i]!;
    const stepStart = timing ? performance.now() : 0;
    const modelInput = scheduler.scaleModelInput(latents, t);
    const sample = guided ? repeatItem({ data: modelInput, dims: [batch, 4, h, w] }, 2) : modelInput;
    const feeds = buildUNetFeeds(parts.unetSignature, {
      sample: { data: sample, dims: [guided ? 2 * batch : batch, 4, h, w] },
      timestep: t,
      hiddenStates: rows.hiddenStates,
      extras: rows.extras,
    });
    const unetStart = timing ? performance.now() : 0;
    const outputs = await parts.unet.run(feeds);
    const unetMs = timing ? performance.now() - unetStart : 0;
    const predicted = readFloat32(outputs[parts.unetSignature.outputName], 'unet out_sample').data;
    const eps = guided ? applyGuidance(predicted, guidanceScale) : predicted;
    const previewing = items.some((item) => states[item.run]!.previewAt.includes(i));
    const original = previewing ? scheduler.predictOriginal(eps, t, latents) : undefined;
    latents = scheduler.step(eps, t, latents, itemNoise(items));
    if (timing) {
      timing.record('onnx', 'unet', unetMs);
      timing.record('host', 'step', performance.now() - stepStart - unetMs);
    }
    for (const r of new Set(items.map((item) => item.run))) {
      const state = states[r]!;
      state.done += 1;
      try {
        runs[r]!.options.onProgress?.({ step: state.done, total: state.total });
      } catch (error) {
        fail(r, error instanceof Error ? error : new Error(String(error)));
      }
    }
    if (original) {
      for (const [b, item] of items.entries()) {
        const partialIndex = states[item.run]!.previewAt.indexOf(i);
        if (partialIndex < 0 || states[item.run]!.failure) continue;
        const preview = { data: original.slice(b * plane, (b + 1) * plane), dims: [1, 4, h, w] };
        await runs[item.run]!.options.onLatentPreview?.({ imageIndex: item.index, partialIndex, latents: preview });
      }
    }
  }
  for (const [b, item] of items.entries()) states[item.run]!.images[item.index] = latents.slice(b * plane, (b + 1) * plane);
}
