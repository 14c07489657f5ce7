import type { SchedulerConfig } from './scheduler';

/**
 * ᾱ_t = ∏(1 - β_s) for t = 0..num_train_timesteps-1, as diffusers builds it from
 * `beta_schedule` (or `trained_betas`), with `rescale_betas_zero_snr` applied when set.
 * Computed in float64; diffusers' float32 tensors agree to ~1e-6 relative.
 */
export function alphasCumprod(config: SchedulerConfig): Float64Array {
  let betas = trainingBetas(config);
  if (config.rescale_betas_zero_snr === true) betas = rescaleZeroTerminalSnr(betas);
  const cumprod = new Float64Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= 1 - betas[i]!;
    cumprod[i] = product;
  }
  return cumprod;
}

function trainingBetas(config: SchedulerConfig): Float64Array {
  const trained = config.trained_betas;
  if (Array.isArray(trained) && trained.length > 0) return Float64Array.from(trained as number[]);
  const n = config.num_train_timesteps;
  switch (config.beta_schedule) {
    case 'linear':
      return linspace(config.beta_start, config.beta_end, n);
    case 'scaled_linear':
      // Latent diffusion's schedule: linear in sqrt(beta).
      return linspace(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), n).map((b) => b * b);
    case 'squaredcos_cap_v2':
      return cosineBetas(n);
    default:
      throw new Error(`Unsupported beta_schedule ${String(config.beta_schedule)}`);
  }
}

/** Improved-DDPM's cosine ᾱ(t) = cos²((t + 0.008) / 1.008 · π/2), betas capped at 0.999. */
function cosineBetas(n: number): Float64Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const betas = new Float64Array(n);
  for (let i = 0; i < n; i++) betas[i] = Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999);
  return betas;
}

/** "Common Diffusion Noise Schedules and Sample Steps are Flawed": shift √ᾱ so the last step has zero SNR. */
function rescaleZeroTerminalSnr(betas: Float64Array): Float64Array {
  const sqrtBar = new Float64Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= 1 - betas[i]!;
    sqrtBar[i] = Math.sqrt(product);
  }
  const first = sqrtBar[0]!;
  const last = sqrtBar[sqrtBar.length - 1]!;
  const scale = first / (first - last);
  const rescaled = new Float64Array(betas.length);
  let previousBar = 1;
  for (let i = 0; i < betas.length; i++) {
    const bar = ((sqrtBar[i]! - last) * scale) ** 2;
    rescaled[i] = 1 - bar / previousBar;
    previousBar = bar;
  }
  return rescaled;
}

/** numpy.linspace(start, stop, n): evenly spaced, the last element exactly `stop`. */
export function linspace(start: number, stop: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const step = (stop - start) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  out[n - 1] = stop;
  return out;
}
