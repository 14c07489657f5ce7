import { assertSameLength, sigmaPrediction } from './prediction';
import type { NoiseSource } from './scheduler';
import { SigmaScheduler } from './sigma-scheduler';

/**
 * diffusers' EulerAncestralDiscreteScheduler: an Euler step down to σ_down, then fresh noise
 * of scale σ_up, with σ_up² = σ_next²(σ² - σ_next²)/σ² and σ_down² = σ_next² - σ_up².
 * The last step (σ_next = 0) lands on x̂0 and draws no noise.
 */
export class EulerAncestralDiscreteScheduler extends SigmaScheduler {
  readonly name = 'euler_a';

  step(modelOutput: Float32Array, timestep: number, latents: Float32Array, noise: NoiseSource): Float32Array {
    assertSameLength(modelOutput, latents);
    const index = this.indexOf(timestep);
    const sigma = this.sigmas[index]!;
    const sigmaNext = this.sigmas[index + 1]!;
    const sigmaUp = Math.sqrt((sigmaNext * sigmaNext * (sigma * sigma - sigmaNext * sigmaNext)) / (sigma * sigma));
    const sigmaDown = Math.sqrt(Math.max(sigmaNext * sigmaNext - sigmaUp * sigmaUp, 0));
    const dt = sigmaDown - sigma;
    const { a, b } = sigmaPrediction(this.config.prediction_type, sigma);
    const cx = 1 + ((1 - a) * dt) / sigma;
    const cm = (-b * dt) / sigma;
    const out = new Float32Array(latents.length);
    if (sigmaUp === 0) {
      for (let i = 0; i < out.length; i++) out[i] = cx * latents[i]! + cm * modelOutput[i]!;
      return out;
    }
    const z = noise.randn(out.length);
    for (let i = 0; i < out.length; i++) out[i] = cx * latents[i]! + cm * modelOutput[i]! + sigmaUp * z[i]!;
    return out;
  }
}
