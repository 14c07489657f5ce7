import { linspace } from './beta-schedule';
import type { SchedulerConfig } from './scheduler';

/** numpy's round(): halves go to the even neighbour (937.5 -> 938, 812.5 -> 812). */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Inference timesteps, descending, per `timestep_spacing` (table 2 of "Common Diffusion Noise
 * Schedules and Sample Steps are Flawed"), reproducing diffusers' numpy arithmetic.
 * `roundLinspace`: DDIM rounds linspace timesteps to integers; Euler keeps them fractional.
 */
export function spacedTimesteps(config: SchedulerConfig, steps: number, roundLinspace: boolean): number[] {
  const n = config.num_train_timesteps;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a positive integer, got ${steps}`);
  if (steps > n) throw new RangeError(`steps (${steps}) cannot exceed num_train_timesteps (${n})`);
  switch (config.timestep_spacing) {
    case 'linspace': {
      const values = Array.from(linspace(0, n - 1, steps)).reverse();
      return roundLinspace ? values.map(roundHalfEven) : values.map(Math.fround);
    }
    case 'leading': {
      const ratio = Math.floor(n / steps);
      const values: number[] = [];
      for (let i = steps - 1; i >= 0; i--) values.push(i * ratio + config.steps_offset);
      return values;
    }
    case 'trailing': {
      // np.arange(n, 0, -ratio): its length is ceil(n / ratio) in float arithmetic.
      const ratio = n / steps;
      const count = Math.ceil(n / ratio);
      const values: number[] = [];
      for (let i = 0; i < count; i++) values.push(roundHalfEven(n - i * ratio) - 1);
      return values;
    }
    default:
      throw new Error(`Unsupported timestep_spacing ${String(config.timestep_spacing)}`);
  }
}

/**
 * img2img keeps the tail of the schedule: diffusers' `get_timesteps` runs the last
 * int(steps * strength) timesteps. At least one step is kept so a tiny strength still runs.
 */
export function img2imgStartIndex(steps: number, strength: number): number {
  if (!(strength > 0 && strength <= 1)) throw new RangeError(`strength must be in (0, 1], got ${strength}`);
  const kept = Math.max(1, Math.min(Math.floor(steps * strength), steps));
  return steps - kept;
}
