import type { SchedulerConfig } from './scheduler';

/** x̂0 = a·x + b·model_output: every prediction type is linear in the sample and the output. */
export interface Linear {
  a: number;
  b: number;
}

/** x̂0 in the sigma (Karras) parameterisation that the Euler schedulers use, x = x0 + σ·ε. */
export function sigmaPrediction(type: SchedulerConfig['prediction_type'], sigma: number): Linear {
  switch (type) {
    case 'epsilon':
      return { a: 1, b: -sigma };
    case 'v_prediction':
      return { a: 1 / (sigma * sigma + 1), b: -sigma / Math.sqrt(sigma * sigma + 1) };
    case 'sample':
      return { a: 0, b: 1 };
    default:
      throw new Error(`Unsupported prediction_type ${String(type)}`);
  }
}

/** x̂0 in the variance-preserving parameterisation, x = √ᾱ·x0 + √(1-ᾱ)·ε. */
export function alphaPrediction(type: SchedulerConfig['prediction_type'], alphaBar: number): Linear {
  const sqrtAlpha = Math.sqrt(alphaBar);
  const sqrtBeta = Math.sqrt(1 - alphaBar);
  switch (type) {
    case 'epsilon':
      return { a: 1 / sqrtAlpha, b: -sqrtBeta / sqrtAlpha };
    case 'v_prediction':
      return { a: sqrtAlpha, b: -sqrtBeta };
    case 'sample':
      return { a: 0, b: 1 };
    default:
      throw new Error(`Unsupported prediction_type ${String(type)}`);
  }
}

/** ε̂ = a·x + b·model_output, from the unclipped model output as diffusers' DDIM does. */
export function alphaEpsilon(type: SchedulerConfig['prediction_type'], alphaBar: number): Linear {
  const sqrtAlpha = Math.sqrt(alphaBar);
  const sqrtBeta = Math.sqrt(1 - alphaBar);
  switch (type) {
    case 'epsilon':
      return { a: 0, b: 1 };
    case 'v_prediction':
      return { a: sqrtBeta, b: sqrtAlpha };
    case 'sample':
      return { a: 1 / sqrtBeta, b: -sqrtAlpha / sqrtBeta };
    default:
      throw new Error(`Unsupported prediction_type ${String(type)}`);
  }
}

/** q(x_t | x_0): √ᾱ·x0 + √(1-ᾱ)·ε. */
export function addNoiseVariancePreserving(original: Float32Array, noise: Float32Array, alphaBar: number): Float32Array {
  assertSameLength(original, noise);
  const signal = Math.sqrt(alphaBar);
  const spread = Math.sqrt(1 - alphaBar);
  const out = new Float32Array(original.length);
  for (let i = 0; i < out.length; i++) out[i] = signal * original[i]! + spread * noise[i]!;
  return out;
}

/** a·x + b·m elementwise, clamped to ±range when `range` is given (clip_sample). */
export function combineLinear({ a, b }: Linear, x: Float32Array, m: Float32Array, range?: number): Float32Array {
  assertSameLength(x, m);
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) {
    const v = a * x[i]! + b * m[i]!;
    out[i] = range === undefined ? v : v < -range ? -range : v > range ? range : v;
  }
  return out;
}

export function assertSameLength(a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) throw new RangeError(`tensor lengths differ: ${a.length} vs ${b.length}`);
}

/** ᾱ at an integer training timestep; fractional ones (only from custom callers) are rounded. */
export function alphaBarAt(alphasCumprod: Float64Array, timestep: number): number {
  const value = alphasCumprod[Math.round(timestep)];
  if (value === undefined) throw new RangeError(`timestep ${timestep} is outside 0..${alphasCumprod.length - 1}`);
  return value;
}
