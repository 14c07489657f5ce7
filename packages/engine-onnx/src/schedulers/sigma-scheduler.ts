import { alphasCumprod, linspace } from './beta-schedule';
import { assertSameLength, combineLinear, sigmaPrediction } from './prediction';
import type { DiffusionScheduler, NoiseSource, SchedulerConfig } from './scheduler';
import { img2imgStartIndex, spacedTimesteps } from './timestep-spacing';

const KARRAS_RHO = 7;

/**
 * What diffusers' EulerDiscreteScheduler and EulerAncestralDiscreteScheduler share: σ_t =
 * √((1-ᾱ_t)/ᾱ_t) interpolated at the spaced timesteps, a final σ of 0, inputs scaled by
 * 1/√(σ²+1). Steps look their index up from the timestep, so the caller keeps no counter.
 * Supported σ options: use_karras_sigmas, final_sigmas_type. Not implemented (linear
 * interpolation is used instead): interpolation_type log_linear, exponential and beta sigmas.
 */
export abstract class SigmaScheduler implements DiffusionScheduler {
  abstract readonly name: string;
  timesteps: readonly number[] = [];
  /** σ for each timestep of the full schedule, then the final σ (0 unless final_sigmas_type is sigma_min). */
  sigmas: Float32Array = new Float32Array(0);
  initNoiseSigma = 1;
  protected readonly trainSigmas: Float64Array;
  private fullTimesteps: readonly number[] = [];

  constructor(readonly config: SchedulerConfig) {
    const cumprod = alphasCumprod(config);
    // Zero terminal SNR would make σ infinite; diffusers pins ᾱ_T to 2^-24 instead.
    if (config.rescale_betas_zero_snr === true) cumprod[cumprod.length - 1] = 2 ** -24;
    this.trainSigmas = cumprod.map((a) => Math.sqrt((1 - a) / a));
  }

  setTimesteps(steps: number, strength = 1): void {
    let timesteps = spacedTimesteps(this.config, steps, false);
    let sigmas = timesteps.map((t) => this.trainingSigmaAt(t));
    if (this.config.use_karras_sigmas === true) {
      sigmas = karrasSigmas(sigmas[sigmas.length - 1]!, sigmas[0]!, steps);
      timesteps = sigmas.map((s) => Math.fround(this.sigmaToTimestep(s)));
    }
    const last = this.config.final_sigmas_type === 'sigma_min' ? this.trainSigmas[0]! : 0;
    this.sigmas = Float32Array.from([...sigmas, last]);
    this.fullTimesteps = timesteps;
    this.timesteps = timesteps.slice(strength < 1 ? img2imgStartIndex(steps, strength) : 0);
    let max = 0;
    for (const s of this.sigmas) max = Math.max(max, s);
    const spacing = this.config.timestep_spacing;
    this.initNoiseSigma = spacing === 'linspace' || spacing === 'trailing' ? max : Math.sqrt(max * max + 1);
  }

  scaleModelInput(latents: Float32Array, timestep: number): Float32Array {
    const sigma = this.sigmas[this.indexOf(timestep)]!;
    const scale = 1 / Math.sqrt(sigma * sigma + 1);
    const out = new Float32Array(latents.length);
    for (let i = 0; i < out.length; i++) out[i] = latents[i]! * scale;
    return out;
  }

  abstract step(modelOutput: Float32Array, timestep: number, latents: Float32Array, noise: NoiseSource): Float32Array;

  predictOriginal(modelOutput: Float32Array, timestep: number, latents: Float32Array): Float32Array {
    return combineLinear(sigmaPrediction(this.config.prediction_type, this.sigmas[this.indexOf(timestep)]!), latents, modelOutput);
  }

  /** x0 + σ_t·ε, with σ_t from the schedule (or interpolated for a timestep outside it). */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    assertSameLength(original, noise);
    const index = this.fullTimesteps.indexOf(timestep);
    const sigma = index >= 0 ? this.sigmas[index]! : this.trainingSigmaAt(timestep);
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = original[i]! + sigma * noise[i]!;
    return out;
  }

  /** Position in the full schedule, so σ_{i+1} is the next sigma even after img2img trimming. */
  protected indexOf(timestep: number): number {
    const index = this.fullTimesteps.indexOf(timestep);
    if (index < 0) throw new RangeError(`timestep ${timestep} is not in this ${this.name} schedule; call setTimesteps first`);
    return index;
  }

  /** np.interp over the training sigmas. */
  private trainingSigmaAt(timestep: number): number {
    const sigmas = this.trainSigmas;
    if (timestep <= 0) return sigmas[0]!;
    if (timestep >= sigmas.length - 1) return sigmas[sigmas.length - 1]!;
    const low = Math.floor(timestep);
    const w = timestep - low;
    return sigmas[low]! * (1 - w) + sigmas[low + 1]! * w;
  }

  /** diffusers' `_sigma_to_t`: interpolation in log σ between the two bracketing training steps. */
  private sigmaToTimestep(sigma: number): number {
    const logSigma = Math.log(Math.max(sigma, 1e-10));
    const logs = this.trainSigmas;
    let low = 0;
    for (let i = 0; i < logs.length; i++) if (Math.log(logs[i]!) <= logSigma) low = i;
    low = Math.min(low, logs.length - 2);
    const lowLog = Math.log(logs[low]!);
    const highLog = Math.log(logs[low + 1]!);
    const w = Math.min(Math.max((lowLog - logSigma) / (lowLog - highLog), 0), 1);
    return (1 - w) * low + w * (low + 1);
  }
}

/** Karras et al. (2022) ρ=7 spacing between the schedule's own σ_min and σ_max. */
function karrasSigmas(sigmaMin: number, sigmaMax: number, steps: number): number[] {
  const minInv = sigmaMin ** (1 / KARRAS_RHO);
  const maxInv = sigmaMax ** (1 / KARRAS_RHO);
  return Array.from(linspace(0, 1, steps), (r) => (maxInv + r * (minInv - maxInv)) ** KARRAS_RHO);
}
