import { SeededNoise } from '../src/noise';
import { previewStepIndices } from '../src/pipeline/diffusion-pipeline';
import { SD_LATENT_RGB_FACTORS, projectLatentsToRgba } from '../src/pipeline/preview-decoder';
import { type SchedulerKind, createScheduler, resolveSchedulerConfig } from '../src/schedulers';
import { LCM_CONFIG, SD15_CONFIG, expectClose, randomLatents, sdAlphaBar, sdSigma } from './scheduler-fixtures';

const LENGTH = 4 * 4 * 4;

describe(projectLatentsToRgba.name, () => {
  it('maps each latent pixel through the SD 1.x factors into opaque RGBA, clamped to bytes', () => {
    // Three latent pixels (channel-major): a unit channel 0, a unit channel 3, and a large channel 3.
    const data = Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, -5]);
    const image = projectLatentsToRgba({ data, dims: [1, 4, 1, 3] });
    expect([image.width, image.height]).toEqual([3, 1]);
    expect([...image.data]).toEqual([172, 157, 169, 255, 100, 94, 36, 255, 255, 255, 255, 255]);
  });

  it('is linear in the latents: the pixel of a sum is the sum of the contributions', () => {
    const latent = [0.4, -0.3, 0.2, 0.1];
    const image = projectLatentsToRgba({ data: Float32Array.from(latent), dims: [1, 4, 1, 1] });
    const expected = [0, 1, 2].map((c) => Math.round((latent.reduce((sum, v, l) => sum + v * SD_LATENT_RGB_FACTORS[l]![c]!, 0) + 1) * 127.5));
    expect([...image.data.subarray(0, 3)]).toEqual(expected);
  });

  it('refuses latents with another channel count than the factors cover', () => {
    expect(() => projectLatentsToRgba({ data: new Float32Array(16), dims: [1, 16, 1, 1] })).toThrow(/4 channels, latents have 16/);
  });
});

describe(previewStepIndices.name, () => {
  it.each([
    [25, 2, [7, 16]],
    [4, 2, [0, 2]],
    [3, 2, [0, 1]],
    [10, 3, [2, 4, 7]],
    [2, 3, [0]],
    [1, 2, []],
    [20, 0, []],
  ])('spaces %i steps for %i previews, never after the last step', (steps, count, expected) => {
    expect(previewStepIndices(steps, count)).toEqual(expected);
  });
});

describe('predictOriginal', () => {
  const ddimToOne = resolveSchedulerConfig({ ...SD15_CONFIG, set_alpha_to_one: true });
  it.each([
    ['euler', SD15_CONFIG],
    ['euler_a', SD15_CONFIG],
    ['ddim', ddimToOne],
    ['lcm', LCM_CONFIG],
  ] as const)('%s: at the last timestep it is what step() lands on', (kind, config) => {
    const scheduler = createScheduler(config, kind as SchedulerKind);
    scheduler.setTimesteps(4);
    const last = scheduler.timesteps.at(-1)!;
    const x = randomLatents(LENGTH, 3);
    const eps = randomLatents(LENGTH, 4);
    const estimate = scheduler.predictOriginal(eps, last, x);
    expectClose(estimate, scheduler.step(eps, last, x, new SeededNoise(1)), 1e-5);
  });

  it('is x − σ·ε for Euler and (x − √(1−ᾱ)·ε)/√ᾱ for DDIM at a middle timestep (epsilon prediction)', () => {
    const x = randomLatents(LENGTH, 5);
    const eps = randomLatents(LENGTH, 6);
    const euler = createScheduler(SD15_CONFIG, 'euler');
    euler.setTimesteps(10);
    const t = euler.timesteps[4]!;
    expectClose(euler.predictOriginal(eps, t, x), x.map((v, i) => v - sdSigma(t) * eps[i]!), 1e-4);
    const ddim = createScheduler(SD15_CONFIG, 'ddim');
    ddim.setTimesteps(10);
    const s = ddim.timesteps[4]!;
    const a = sdAlphaBar(s);
    expectClose(ddim.predictOriginal(eps, s, x), x.map((v, i) => (v - Math.sqrt(1 - a) * eps[i]!) / Math.sqrt(a)), 1e-4);
  });
});
