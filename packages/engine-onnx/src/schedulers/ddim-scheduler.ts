import { alphasCumprod } from './beta-schedule';
import { addNoiseVariancePreserving, alphaBarAt, alphaEpsilon, alphaPrediction, assertSameLength, combineLinear } from './prediction';
import type { DiffusionScheduler, NoiseSource, SchedulerConfig } from './scheduler';
import { img2imgStartIndex, spacedTimesteps } from './timestep-spacing';

/** Options a pipeline passes rather than the scheduler config. */
export interface DdimOptions {
  /** Weight of fresh noise per step (0 = deterministic DDIM, 1 = DDPM-like). Default 0. */
  eta?: number;
}

/**
 * diffusers' DDIMScheduler: x_prev = √ᾱ_prev·x̂0 + √(1-ᾱ_prev-σ²)·ε̂ + σ·z, σ = η·√var.
 * The previous timestep is always t - N/steps (as diffusers computes it, even for trailing
 * spacing); below 0 it uses ᾱ = 1 with set_alpha_to_one, else ᾱ_0.
 */
export class DdimScheduler implements DiffusionScheduler {
  readonly name = 'ddim';
  timesteps: readonly number[] = [];
  readonly initNoiseSigma = 1;
  private readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  private readonly eta: number;
  private stepRatio = 0;

  constructor(
    readonly config: SchedulerConfig,
    options: DdimOptions = {},
  ) {
    this.alphasCumprod = alphasCumprod(config);
    this.finalAlphaCumprod = config.set_alpha_to_one === false ? this.alphasCumprod[0]! : 1;
    this.eta = options.eta ?? 0;
  }

  setTimesteps(steps: number, strength = 1): void {
    const timesteps = spacedTimesteps(this.config, steps, true);
    this.stepRatio = Math.floor(this.config.num_train_timesteps / steps);
    this.timesteps = timesteps.slice(strength < 1 ? img2imgStartIndex(steps, strength) : 0);
  }

  scaleModelInput(latents: Float32Array): Float32Array {
    return latents;
  }

  step(modelOutput: Float32Array, timestep: number, latents: Float32Array, noise: NoiseSource): Float32Array {
    assertSameLength(modelOutput, latents);
    if (this.stepRatio === 0) throw new Error('DDIM step before setTimesteps');
    const previous = timestep - this.stepRatio;
    const alphaBar = alphaBarAt(this.alphasCumprod, timestep);
    const alphaBarPrev = previous >= 0 ? alphaBarAt(this.alphasCumprod, previous) : this.finalAlphaCumprod;
    const x0 = alphaPrediction(this.config.prediction_type, alphaBar);
    const eps = alphaEpsilon(this.config.prediction_type, alphaBar);
    const variance = ((1 - alphaBarPrev) / (1 - alphaBar)) * (1 - alphaBar / alphaBarPrev);
    const std = this.eta * Math.sqrt(variance);
    const signal = Math.sqrt(alphaBarPrev);
    const direction = Math.sqrt(Math.max(1 - alphaBarPrev - std * std, 0));
    const clip = this.config.clip_sample === true;
    const range = typeof this.config.clip_sample_range === 'number' ? this.config.clip_sample_range : 1;
    const z = std > 0 ? noise.randn(latents.length) : undefined;
    const out = new Float32Array(latents.length);
    for (let i = 0; i < out.length; i++) {
      const x = latents[i]!;
      const m = modelOutput[i]!;
      let original = x0.a * x + x0.b * m;
      if (clip) original = original < -range ? -range : original > range ? range : original;
      const value = signal * original + direction * (eps.a * x + eps.b * m);
      out[i] = z === undefined ? value : value + std * z[i]!;
    }
    return out;
  }

  predictOriginal(modelOutput: Float32Array, timestep: number, latents: Float32Array): Float32Array {
    const x0 = alphaPrediction(this.config.prediction_type, alphaBarAt(this.alphasCumprod, timestep));
    const range = typeof this.config.clip_sample_range === 'number' ? this.config.clip_sample_range : 1;
    return combineLinear(x0, latents, modelOutput, this.config.clip_sample === true ? range : undefined);
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addNoiseVariancePreserving(original, noise, alphaBarAt(this.alphasCumprod, timestep));
  }
}
