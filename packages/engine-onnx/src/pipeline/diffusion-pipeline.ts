import { type EngineProgress, throwIfAborted } from '@imageforge/engine-core';
import type { InferenceSession } from 'onnxruntime-node';
import type { DiffusionScheduler, NoiseSource } from '../schedulers/scheduler';
import { type HostTensor, readFloat32 } from '../sessions/session-tensors';
import { type LatentBatch, applyGuidance, blendKept, concatItems, inpaintingSample, repeatItem, scaled } from './latent-math';
import type { PipelineTimingHook } from './pipeline-timing';
import { previewStepIndices } from './preview-steps';
import { type SharedDenoiseRun, denoiseShared } from './shared-denoise';
import { type TextConditioning, selectRows } from './text-conditioning';
import { type UNetSignature, buildUNetFeeds } from './unet-inputs';
import type { VaeCodec } from './vae-codec';

export interface DiffusionPipelineParts {
  conditioning: TextConditioning;
  unet: InferenceSession;
  unetSignature: UNetSignature;
  vae: VaeCodec;
  /** A fresh scheduler per batch: schedulers keep per-run state (step index, sigmas). */
  createScheduler(): DiffusionScheduler;
  createNoise(seed: number): NoiseSource;
  /** Most images per UNet call (doubled under guidance). */
  maxBatch: number;
}

export interface DiffusionRequest {
  prompt: string;
  /** Unconditional prompt for guidance. Default ''. */
  negativePrompt?: string;
  n: number;
  latentHeight: number;
  latentWidth: number;
  /** Image k draws all its noise from seed + k, so results do not depend on batching. */
  seed: number;
  steps: number;
  /** ≤ 1 runs the conditional half alone. */
  guidanceScale: number;
  /** Source image [1,3,H,W] in [-1, 1] at the run size, for img2img and inpainting. */
  image?: HostTensor;
  /** Share of the schedule run on the re-noised image: 1 starts from pure noise. Default 1. */
  strength?: number;
  /** [h*w] latent repaint mask, 1 = repaint; outside it latents follow the (re-noised) source. */
  latentMask?: Float32Array;
  /** Source with the repaint region zeroed, for 9-channel inpainting UNets. */
  maskedImage?: HostTensor;
  /** Previews of x̂0 per image, sent to `onLatentPreview`; spacing in `previewStepIndices`. Default 0. */
  previews?: number;
}

/** One image's clean-latent estimate partway through the schedule. */
export interface LatentPreview {
  imageIndex: number;
  partialIndex: number;
  /** [1,4,h,w], scaled as the UNet sees them. */
  latents: HostTensor;
}

export interface PipelineRunOptions {
  signal: AbortSignal;
  onProgress?: (progress: EngineProgress) => void;
  timing?: PipelineTimingHook;
  /** Awaited before the next step, so previews arrive in order. */
  onLatentPreview?: (preview: LatentPreview) => Promise<void>;
}

export { previewStepIndices } from './preview-steps';

export interface DiffusionOutput {
  /** [n, 4, h, w] final latents, scaled as the UNet sees them. */
  latents: LatentBatch;
  /** CLIP tokens of the prompt (BOS and EOS included). */
  promptTokens: number;
}

/** Per-image noise streams read as one: a batch draws each image's share from its own source. */
class BatchNoise implements NoiseSource {
  constructor(private readonly sources: NoiseSource[]) {}
  randn(length: number): Float32Array {
    const share = length / this.sources.length;
    const out = new Float32Array(length);
    this.sources.forEach((source, i) => out.set(source.randn(share), i * share));
    return out;
  }
}

interface SourceLatents {
  clean?: LatentBatch;
  /** 9-channel UNets: the [1,1,h,w] mask and [1,4,h,w] masked-image latents appended to every sample. */
  inpaintExtra?: Float32Array;
}

export class DiffusionPipeline {
  constructor(private readonly parts: DiffusionPipelineParts) {}

  get unetSignature(): UNetSignature {
    return this.parts.unetSignature;
  }

  async denoise(request: DiffusionRequest, options: PipelineRunOptions): Promise<DiffusionOutput> {
    const { signal, timing } = options;
    throwIfAborted(signal);
    const negative = request.negativePrompt ?? '';
    // Identical halves make uncond + s·(cond − uncond) equal cond: skip the extra work.
    const guided = request.guidanceScale > 1 && request.prompt !== negative;
    const conditioning = await this.parts.conditioning.encode(guided ? [negative, request.prompt] : [request.prompt], timing);
    const source = await this.sourceLatents(request, timing);
    const strength = request.image ? (request.strength ?? 1) : 1;
    const probe = this.parts.createScheduler();
    probe.setTimesteps(request.steps, strength < 1 ? strength : undefined);
    if (probe.timesteps.length === 0) {
      throw new Error(`strength ${strength} leaves none of the ${request.steps} steps to run: raise steps or strength`);
    }
    const chunks: Array<[number, number]> = [];
    for (let start = 0; start < request.n; start += this.parts.maxBatch) chunks.push([start, Math.min(request.n, start + this.parts.maxBatch)]);
    const total = probe.timesteps.length * chunks.length;
    let done = 0;
    const results: LatentBatch[] = [];
    for (const [start, end] of chunks) {
      const batch = end - start;
      const noises = Array.from({ length: batch }, (_, k) => this.parts.createNoise(request.seed + start + k));
      const noise = new BatchNoise(noises);
      const rows = guided ? [...Array<number>(batch).fill(0), ...Array<number>(batch).fill(1)] : Array<number>(batch).fill(0);
      const hiddenStates = selectRows(conditioning.hiddenStates, rows);
      const extras = Object.fromEntries(Object.entries(conditioning.extras).map(([k, v]) => [k, selectRows(v, rows)]));
      const latents = await this.runBatch({ request, start, batch, noise, source, strength, guided, hiddenStates, extras }, options, () => {
        done += 1;
        options.onProgress?.({ step: done, total });
      });
      results.push(latents);
    }
    return { latents: concatItems(results), promptTokens: conditioning.tokenCounts.at(-1) ?? 0 };
  }

  /**
   * Several text-to-image requests of one size, schedule and guidance denoised as one UNet
   * batch: one result or error per request, in order (see `denoiseShared`).
   */
  denoiseMany(runs: readonly SharedDenoiseRun[], timing?: PipelineTimingHook): Promise<Array<DiffusionOutput | Error>> {
    return denoiseShared(this.parts, runs, timing);
  }

  /** Item `index` of the latents as [1,3,8h,8w] pixels in [-1, 1]. */
  async decode(latents: LatentBatch, index: number, options: PipelineRunOptions): Promise<HostTensor> {
    throwIfAborted(options.signal);
    const [, c = 4, h = 0, w = 0] = latents.dims;
    const size = c * h * w;
    return this.parts.vae.decode({ data: latents.data.subarray(index * size, (index + 1) * size), dims: [1, c, h, w] }, options.timing);
  }

  private async sourceLatents(request: DiffusionRequest, timing?: PipelineTimingHook): Promise<SourceLatents> {
    const { vae, unetSignature } = this.parts;
    const clean = request.image ? await vae.encode(request.image, timing) : undefined;
    if (unetSignature.inChannels === 4) return { clean };
    if (unetSignature.inChannels !== 9) throw new Error(`unet sample has ${unetSignature.inChannels} channels; 4 or 9 are supported`);
    const plane = request.latentHeight * request.latentWidth;
    // Without a source image the whole picture is repainted from a blank (zero) one.
    const mask = request.latentMask ?? new Float32Array(plane).fill(1);
    const blank: HostTensor = { data: new Float32Array(3 * plane * 64), dims: [1, 3, request.latentHeight * 8, request.latentWidth * 8] };
    const masked = vae.canEncode ? await vae.encode(request.maskedImage ?? blank, timing) : { data: new Float32Array(4 * plane), dims: [] };
    const inpaintExtra = new Float32Array(5 * plane);
    inpaintExtra.set(mask, 0);
    inpaintExtra.set(masked.data, plane);
    return { clean, inpaintExtra };
  }

  private async runBatch(
    run: {
      request: DiffusionRequest;
      start: number;
      batch: number;
      noise: NoiseSource;
      source: SourceLatents;
      strength: number;
      guided: boolean;
      hiddenStates: HostTensor;
      extras: Record<string, HostTensor>;
    },
    options: PipelineRunOptions,
    stepDone: () => void,
  ): Promise<LatentBatch> {
    const { request, batch, noise, source, guided } = run;
    const { timing, signal } = options;
    const dims = [batch, 4, request.latentHeight, request.latentWidth];
    const scheduler = this.parts.createScheduler();
    scheduler.setTimesteps(request.steps, run.strength < 1 ? run.strength : undefined);
    const timesteps = scheduler.timesteps;
    const initialNoise = noise.randn(batch * 4 * request.latentHeight * request.latentWidth);
    const clean = source.clean ? repeatItem(source.clean, batch) : undefined;
    let latents =
      clean && run.strength < 1 ? scheduler.addNoise(clean, initialNoise, timesteps[0]!) : scaled(initialNoise, scheduler.initNoiseSigma);
    const blend = this.parts.unetSignature.inChannels === 4 && request.latentMask && clean ? request.latentMask : undefined;
    const previewAt = options.onLatentPreview ? previewStepIndices(timesteps.length, request.previews ?? 0) : [];
    for (let i = 0; i < timesteps.length; i++) {
      throwIfAborted(signal);
      const t = timesteps[i]!;
      const stepStart = timing ? performance.now() : 0;
      let modelInput = scheduler.scaleModelInput(latents, t);
      if (source.inpaintExtra) modelInput = inpaintingSample(modelInput, source.inpaintExtra, batch);
      const channels = this.parts.unetSignature.inChannels;
      const sample = guided ? repeatItem({ data: modelInput, dims: [batch, channels, dims[2]!, dims[3]!] }, 2) : modelInput;
      const feeds = buildUNetFeeds(this.parts.unetSignature, {
        sample: { data: sample, dims: [guided ? 2 * batch : batch, channels, dims[2]!, dims[3]!] },
        timestep: t,
        hiddenStates: run.hiddenStates,
        extras: run.extras,
      });
      const unetStart = timing ? performance.now() : 0;
      const outputs = await this.parts.unet.run(feeds);
      const unetMs = timing ? performance.now() - unetStart : 0;
      const predicted = readFloat32(outputs[this.parts.unetSignature.outputName], 'unet out_sample').data;
      const eps = guided ? applyGuidance(predicted, request.guidanceScale) : predicted;
      const previewIndex = previewAt.indexOf(i);
      const original = previewIndex >= 0 ? scheduler.predictOriginal(eps, t, latents) : undefined;
      latents = scheduler.step(eps, t, latents, noise);
      if (blend && clean) {
        // diffusers' legacy inpainting: outside the mask, follow the source noised to the next timestep.
        const next = timesteps[i + 1];
        const kept = next === undefined ? clean : scheduler.addNoise(clean, initialNoise, next);
        latents = blendKept(latents, kept, blend);
      }
      if (timing) {
        timing.record('onnx', 'unet', unetMs);
        timing.record('host', 'step', performance.now() - stepStart - unetMs);
      }
      stepDone();
      if (original) {
        const estimate = blend && clean ? blendKept(original, clean, blend) : original;
        const size = estimate.length / batch;
        for (let k = 0; k < batch; k++) {
          const item: HostTensor = { data: estimate.slice(k * size, (k + 1) * size), dims: [1, 4, dims[2]!, dims[3]!] };
          await options.onLatentPreview?.({ imageIndex: run.start + k, partialIndex: previewIndex, latents: item });
        }
      }
    }
    return { data: latents, dims };
  }
}
