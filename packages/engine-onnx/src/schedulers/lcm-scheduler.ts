import { alphasCumprod } from './beta-schedule';
import { addNoiseVariancePreserving, alphaBarAt, alphaPrediction, assertSameLength, combineLinear } from './prediction';
import type { DiffusionScheduler, NoiseSource, SchedulerConfig } from './scheduler';

/** LCM's σ_data in the boundary-condition scalings. */
const SIGMA_DATA = 0.5;

/**
 * diffusers' LCMScheduler (multistep consistency sampling): each step maps x_t to
 * c_skip·x_t + c_out·x̂0, then, except after the last step, re-noises that estimate to the next
 * timestep with fresh noise. Timesteps come from the distillation schedule of
 * `original_inference_steps` (default 50) evenly skipped, e.g. 4 steps -> [999, 759, 499, 259].
 * img2img narrows that schedule to its first int(original_steps · strength) entries, as
 * diffusers' LCM img2img pipeline does, instead of trimming the tail.
 */
export class LcmScheduler implements DiffusionScheduler {
  readonly name = 'lcm';
  timesteps: readonly number[] = [];
  readonly initNoiseSigma = 1;
  private readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;

  constructor(readonly config: SchedulerConfig) {
    this.alphasCumprod = alphasCumprod(config);
    this.finalAlphaCumprod = config.set_alpha_to_one === false ? this.alphasCumprod[0]! : 1;
  }

  /** More steps than the distillation schedule holds (after strength) run as many as it holds. */
  setTimesteps(steps: number, strength = 1): void {
    if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
    if (!(strength > 0 && strength <= 1)) throw new RangeError(`strength must be in (0, 1], got ${strength}`);
    const n = this.config.num_train_timesteps;
    const originalSteps = typeof this.config.original_inference_steps === 'number' ? this.config.original_inference_steps : 50;
    const k = Math.floor(n / originalSteps);
    const available = Math.max(1, Math.floor(originalSteps * strength));
    const origin: number[] = [];
    for (let i = available; i >= 1; i--) origin.push(i * k - 1);
    const count = Math.min(steps, origin.length);
    // np.floor(np.linspace(0, len, count, endpoint=False)), with numpy's i * step arithmetic.
    const stride = origin.length / count;
    this.timesteps = Array.from({ length: count }, (_, i) => origin[Math.floor(i * stride)]!);
  }

  scaleModelInput(latents: Float32Array): Float32Array {
    return latents;
  }

  step(modelOutput: Float32Array, timestep: number, latents: Float32Array, noise: NoiseSource): Float32Array {
    assertSameLength(modelOutput, latents);
    const index = this.timesteps.indexOf(timestep);
    if (index < 0) throw new RangeError(`timestep ${timestep} is not in this lcm schedule; call setTimesteps first`);
    const isLast = index === this.timesteps.length - 1;
    const alphaBar = alphaBarAt(this.alphasCumprod, timestep);
    const { cSkip, cOut } = this.boundaryScalings(timestep);
    const x0 = alphaPrediction(this.config.prediction_type, alphaBar);
    const clip = this.config.clip_sample === true;
    const range = typeof this.config.clip_sample_range === 'number' ? this.config.clip_sample_range : 1;
    let signal = 1;
    let spread = 0;
    if (!isLast) {
      const next = this.timesteps[index + 1]!;
      const alphaBarNext = next >= 0 ? alphaBarAt(this.alphasCumprod, next) : this.finalAlphaCumprod;
      signal = Math.sqrt(alphaBarNext);
      spread = Math.sqrt(1 - alphaBarNext);
    }
    const z = isLast ? undefined : noise.randn(latents.length);
    const out = new Float32Array(latents.length);
    for (let i = 0; i < out.length; i++) {
      const x = latents[i]!;
      let original = x0.a * x + x0.b * modelOutput[i]!;
      if (clip) original = original < -range ? -range : original > range ? range : original;
      const denoised = cOut * original + cSkip * x;
      out[i] = z === undefined ? denoised : signal * denoised + spread * z[i]!;
    }
    return out;
  }

  /** The step's denoised sample c_skip·x + c_out·x̂0, which the last step returns as is. */
  predictOriginal(modelOutput: Float32Array, timestep: number, latents: Float32Array): Float32Array {
    assertSameLength(modelOutput, latents);
    const { cSkip, cOut } = this.boundaryScalings(timestep);
    const x0 = alphaPrediction(this.config.prediction_type, alphaBarAt(this.alphasCumprod, timestep));
    const range = typeof this.config.clip_sample_range === 'number' ? this.config.clip_sample_range : 1;
    const original = combineLinear(x0, latents, modelOutput, this.config.clip_sample === true ? range : undefined);
    return combineLinear({ a: cSkip, b: cOut }, latents, original);
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return addNoiseVariancePreserving(original, noise, alphaBarAt(this.alphasCumprod, timestep));
  }

  private boundaryScalings(timestep: number): { cSkip: number; cOut: number } {
    const scaling = typeof this.config.timestep_scaling === 'number' ? this.config.timestep_scaling : 10;
    const scaled = timestep * scaling;
    return { cSkip: SIGMA_DATA ** 2 / (scaled * scaled + SIGMA_DATA ** 2), cOut: scaled / Math.sqrt(scaled * scaled + SIGMA_DATA ** 2) };
  }
}
