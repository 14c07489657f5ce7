import { assertSameLength, sigmaPrediction } from './prediction';
import type { NoiseSource } from './scheduler';
import { SigmaScheduler } from './sigma-scheduler';

/**
 * diffusers' EulerDiscreteScheduler with s_churn = 0 (its default): one explicit Euler step
 * of the probability-flow ODE, x_{i+1} = x_i + (x_i - x̂0)/σ_i · (σ_{i+1} - σ_i). Deterministic:
 * the noise source is not used.
 */
export class EulerDiscreteScheduler extends SigmaScheduler {
  readonly name = 'euler';

  step(modelOutput: Float32Array, timestep: number, latents: Float32Array, _noise: NoiseSource): Float32Array {
    assertSameLength(modelOutput, latents);
    const index = this.indexOf(timestep);
    const sigma = this.sigmas[index]!;
    const dt = this.sigmas[index + 1]! - sigma;
    // x̂0 = a·x + b·m, so x + (x - x̂0)/σ·dt = cx·x + cm·m.
    const { a, b } = sigmaPrediction(this.config.prediction_type, sigma);
    const cx = 1 + ((1 - a) * dt) / sigma;
    const cm = (-b * dt) / sigma;
    const out = new Float32Array(latents.length);
    for (let i = 0; i < out.length; i++) out[i] = cx * latents[i]! + cm * modelOutput[i]!;
    return out;
  }
}
