import { resolveSchedulerConfig, type SchedulerConfig } from '../src/schedulers';

/** scheduler_config.json of runwayml/stable-diffusion-v1-5 (diffusers 0.6 era: no spacing, no prediction type). */
export const SD15_CONFIG: SchedulerConfig = resolveSchedulerConfig({
  _class_name: 'PNDMScheduler',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
});

/** stabilityai/sd-turbo. */
export const SD_TURBO_CONFIG: SchedulerConfig = resolveSchedulerConfig({
  _class_name: 'EulerDiscreteScheduler',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  interpolation_type: 'linear',
  num_train_timesteps: 1000,
  prediction_type: 'epsilon',
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  timestep_spacing: 'trailing',
  trained_betas: null,
  use_karras_sigmas: false,
});

/** stabilityai/stable-diffusion-2-1 (768, v-prediction). */
export const SD21_CONFIG: SchedulerConfig = resolveSchedulerConfig({
  _class_name: 'DDIMScheduler',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  num_train_timesteps: 1000,
  prediction_type: 'v_prediction',
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
});

/** An LCM-distilled SD 1.5 (e.g. LCM Dreamshaper v7). */
export const LCM_CONFIG: SchedulerConfig = resolveSchedulerConfig({
  _class_name: 'LCMScheduler',
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  beta_start: 0.00085,
  clip_sample: false,
  num_train_timesteps: 1000,
  original_inference_steps: 50,
  prediction_type: 'epsilon',
  set_alpha_to_one: true,
  steps_offset: 1,
  timestep_scaling: 10,
});

/** ᾱ_t of SD's scaled_linear schedule, written out independently of the schedulers. */
export function sdAlphaBar(t: number): number {
  const lo = Math.sqrt(0.00085);
  const hi = Math.sqrt(0.012);
  let product = 1;
  for (let i = 0; i <= t; i++) product *= 1 - (lo + ((hi - lo) * i) / 999) ** 2;
  return product;
}

export function sdSigma(t: number): number {
  const a = sdAlphaBar(t);
  return Math.sqrt((1 - a) / a);
}

export function randomLatents(length: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32) * 4 - 2;
  }
  return out;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const scale = Math.max(1, Math.abs(expected[i]!));
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / scale);
  }
  expect(worst).toBeLessThanOrEqual(tolerance);
}
