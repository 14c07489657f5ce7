/**
 * Diffusion schedulers as diffusers defines them, read from `scheduler/scheduler_config.json`.
 * Latents are flat Float32Arrays in NCHW order; the pipeline owns shapes.
 */
export interface SchedulerConfig {
  _class_name: string;
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
  prediction_type: 'epsilon' | 'v_prediction' | 'sample';
  timestep_spacing: 'leading' | 'trailing' | 'linspace';
  steps_offset: number;
  set_alpha_to_one?: boolean;
  clip_sample?: boolean;
  /** Extra fields are kept for schedulers that read them. */
  [key: string]: unknown;
}

/** Seeded source of standard normal noise, so a seed reproduces an image. */
export interface NoiseSource {
  randn(length: number): Float32Array;
}

export interface DiffusionScheduler {
  readonly name: string;
  /** Timesteps to run, in order, after setTimesteps. */
  readonly timesteps: readonly number[];
  /** Multiplier for the initial noise (sigma_max for Euler, 1 for DDIM/LCM). */
  readonly initNoiseSigma: number;
  /**
   * Chooses the timesteps for `steps` inference steps. With `strength` < 1 (img2img),
   * only the last `round(steps*strength)` of them are kept, as diffusers does: precisely
   * diffusers' int(steps*strength) (a floor), and at least one. LCM instead keeps `steps`
   * timesteps drawn from the first `strength` of its schedule, as diffusers' LCM img2img does.
   */
  setTimesteps(steps: number, strength?: number): void;
  /** Scales the UNet input for timestep t (Euler divides by sqrt(sigma^2+1); others return it unchanged). */
  scaleModelInput(latents: Float32Array, timestep: number): Float32Array;
  /** One denoising step: returns the latents for the next timestep. */
  step(modelOutput: Float32Array, timestep: number, latents: Float32Array, noise: NoiseSource): Float32Array;
  /**
   * The current estimate of the clean latents (diffusers' pred_original_sample; LCM's denoised
   * output) from the same inputs as `step`, without advancing the schedule. Previews show it.
   */
  predictOriginal(modelOutput: Float32Array, timestep: number, latents: Float32Array): Float32Array;
  /** Noises clean latents to timestep t (img2img start, inpainting blend). */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array;
}
