import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SchedulerConfig } from './scheduler';

type Defaults = Omit<SchedulerConfig, '_class_name'>;

/** diffusers' __init__ defaults of the DDPM-family schedulers (DDPM, DDIM, PNDM, ...). */
const DDPM_FAMILY: Defaults = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  prediction_type: 'epsilon',
  timestep_spacing: 'leading',
  steps_offset: 0,
};

/** Karras-sigma schedulers (Euler, LMS, DPM-Solver, Heun, UniPC, ...) default to linspace spacing. */
const SIGMA_FAMILY: Defaults = { ...DDPM_FAMILY, timestep_spacing: 'linspace' };

const CLASS_DEFAULTS: Record<string, Defaults> = {
  DDIMScheduler: { ...DDPM_FAMILY, clip_sample: true, set_alpha_to_one: true },
  DDPMScheduler: { ...DDPM_FAMILY, clip_sample: true },
  PNDMScheduler: { ...DDPM_FAMILY, set_alpha_to_one: false },
  LCMScheduler: {
    ...DDPM_FAMILY,
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    clip_sample: false,
    set_alpha_to_one: true,
    original_inference_steps: 50,
    timestep_scaling: 10,
  },
  TCDScheduler: { ...DDPM_FAMILY, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', set_alpha_to_one: true },
};

const BETA_SCHEDULES = ['linear', 'scaled_linear', 'squaredcos_cap_v2'];
const PREDICTION_TYPES = ['epsilon', 'v_prediction', 'sample'];
const SPACINGS = ['leading', 'trailing', 'linspace'];

/**
 * Fills what a scheduler_config.json leaves out with the defaults of the class it names, as
 * diffusers' `from_config` would. Old exports (SD 1.5's PNDM, SD 2.x's DDIM) predate
 * `timestep_spacing` and `prediction_type`, so their defaults matter: both are leading/epsilon.
 * The filled values stay when a different scheduler is chosen for the same model.
 */
export function resolveSchedulerConfig(raw: Record<string, unknown>): SchedulerConfig {
  const className = typeof raw._class_name === 'string' ? raw._class_name : 'DDIMScheduler';
  const defaults = CLASS_DEFAULTS[className] ?? (className.startsWith('DDIM') ? DDPM_FAMILY : SIGMA_FAMILY);
  const present = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null && value !== undefined));
  const config = { ...defaults, ...present, _class_name: className } as SchedulerConfig;
  expectOneOf('beta_schedule', config.beta_schedule, BETA_SCHEDULES);
  expectOneOf('prediction_type', config.prediction_type, PREDICTION_TYPES);
  expectOneOf('timestep_spacing', config.timestep_spacing, SPACINGS);
  for (const key of ['num_train_timesteps', 'beta_start', 'beta_end', 'steps_offset'] as const) {
    if (typeof config[key] !== 'number' || !Number.isFinite(config[key])) {
      throw new Error(`scheduler config ${key} must be a number, got ${JSON.stringify(config[key])}`);
    }
  }
  return config;
}

/** Reads `<dir>/scheduler_config.json` (the diffusers `scheduler/` folder). */
export async function loadSchedulerConfig(schedulerDir: string): Promise<SchedulerConfig> {
  const text = await readFile(join(schedulerDir, 'scheduler_config.json'), 'utf8');
  return resolveSchedulerConfig(JSON.parse(text) as Record<string, unknown>);
}

function expectOneOf(key: string, value: unknown, allowed: string[]): void {
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw new Error(`scheduler config ${key} ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
  }
}
