import { SeededNoise } from '../src/noise';
import { createScheduler, EulerDiscreteScheduler, type NoiseSource } from '../src/schedulers';
import { expectClose, LCM_CONFIG, randomLatents, SD15_CONFIG, SD21_CONFIG, SD_TURBO_CONFIG, sdAlphaBar, sdSigma } from './scheduler-fixtures';

const LENGTH = 4 * 8 * 8;

/** A real seeded source that also counts what it hands out. */
class CountingNoise implements NoiseSource {
  drawn = 0;
  private readonly source: SeededNoise;
  constructor(seed: number) {
    this.source = new SeededNoise(seed);
  }
  randn(length: number): Float32Array {
    this.drawn += length;
    return this.source.randn(length);
  }
}

function scaled(x: Float32Array, factor: number): Float32Array {
  return x.map((v) => v * factor);
}

describe('Euler discrete scheduler', () => {
  it('leaves latents unchanged through a whole run when the predicted noise is zero', () => {
    const scheduler = createScheduler(SD15_CONFIG, 'euler');
    scheduler.setTimesteps(20);
    const start = randomLatents(LENGTH, 1);
    let x = start;
    for (const t of scheduler.timesteps) x = scheduler.step(new Float32Array(LENGTH), t, x, new CountingNoise(0));
    expectClose(x, start, 1e-6);
  });

  it('divides the model input by sqrt(sigma^2 + 1)', () => {
    const scheduler = createScheduler(SD_TURBO_CONFIG);
    scheduler.setTimesteps(4);
    const x = randomLatents(LENGTH, 2);
    expectClose(scheduler.scaleModelInput(x, 749), scaled(x, 1 / Math.sqrt(sdSigma(749) ** 2 + 1)));
  });

  it('multiplies by prod(1 + sigma_next - sigma) when the predicted noise equals the input', () => {
    const scheduler = createScheduler(SD15_CONFIG, 'euler') as EulerDiscreteScheduler;
    scheduler.setTimesteps(10);
    let x = randomLatents(LENGTH, 3);
    const start = x;
    let factor = 1;
    const ts = scheduler.timesteps;
    ts.forEach((t, i) => {
      factor *= 1 + (i + 1 < ts.length ? sdSigma(ts[i + 1]!) : 0) - sdSigma(t);
      x = scheduler.step(x, t, x, new CountingNoise(0));
    });
    expectClose(x, scaled(start, factor), 1e-4);
  });

  it('lands on x - sigma * eps in SD-Turbo single step', () => {
    const scheduler = createScheduler(SD_TURBO_CONFIG);
    scheduler.setTimesteps(1);
    const x = randomLatents(LENGTH, 4);
    const eps = randomLatents(LENGTH, 5);
    const expected = x.map((v, i) => v - sdSigma(999) * eps[i]!);
    expectClose(scheduler.step(eps, 999, x, new CountingNoise(0)), expected, 1e-5);
  });

  it('reads a v-prediction of zero as x0 = x / (sigma^2 + 1)', () => {
    const scheduler = createScheduler({ ...SD21_CONFIG }, 'euler');
    scheduler.setTimesteps(50);
    const [t, next] = [scheduler.timesteps[0]!, scheduler.timesteps[1]!];
    const sigma = sdSigma(t);
    const x = randomLatents(LENGTH, 6);
    const factor = 1 + (sigma * (sdSigma(next) - sigma)) / (sigma * sigma + 1);
    expectClose(scheduler.step(new Float32Array(LENGTH), t, x, new CountingNoise(0)), scaled(x, factor), 1e-5);
  });
});

describe('Euler ancestral scheduler', () => {
  it('steps to sigma_down and adds sigma_up of fresh noise from the noise source', () => {
    const scheduler = createScheduler(SD_TURBO_CONFIG, 'euler_a');
    scheduler.setTimesteps(4);
    const x = randomLatents(LENGTH, 7);
    const eps = randomLatents(LENGTH, 8);
    const [from, to] = [sdSigma(999), sdSigma(749)];
    const up = Math.sqrt((to * to * (from * from - to * to)) / (from * from));
    const down = Math.sqrt(to * to - up * up);
    const z = new SeededNoise(99).randn(LENGTH);
    const expected = x.map((v, i) => v + eps[i]! * (down - from) + up * z[i]!);
    expectClose(scheduler.step(eps, 999, x, new SeededNoise(99)), expected, 1e-5);
  });

  it('returns x0 on the last step without drawing noise', () => {
    const scheduler = createScheduler(SD_TURBO_CONFIG, 'euler_a');
    scheduler.setTimesteps(4);
    const x = randomLatents(LENGTH, 9);
    const eps = randomLatents(LENGTH, 10);
    const noise = new CountingNoise(1);
    expectClose(scheduler.step(eps, 249, x, noise), x.map((v, i) => v - sdSigma(249) * eps[i]!), 1e-5);
    expect(noise.drawn).toBe(0);
  });
});

describe('DDIM scheduler', () => {
  it('scales x by sqrt(alphaBar_prev / alphaBar_t) per step when the predicted noise is zero', () => {
    const scheduler = createScheduler(SD15_CONFIG, 'ddim');
    scheduler.setTimesteps(50);
    const start = randomLatents(LENGTH, 11);
    const once = scheduler.step(new Float32Array(LENGTH), 981, start, new CountingNoise(0));
    expectClose(once, scaled(start, Math.sqrt(sdAlphaBar(961) / sdAlphaBar(981))), 1e-5);
    let x = start;
    for (const t of scheduler.timesteps) x = scheduler.step(new Float32Array(LENGTH), t, x, new CountingNoise(0));
    // set_alpha_to_one is false, so the step below t=0 uses alphaBar_0; the product telescopes.
    expectClose(x, scaled(start, Math.sqrt(sdAlphaBar(0) / sdAlphaBar(981))), 1e-4);
  });

  it('recovers x0 = (x - sqrt(1 - alphaBar) x) / sqrt(alphaBar) when the predicted noise equals the input', () => {
    const scheduler = createScheduler(SD15_CONFIG, 'ddim');
    scheduler.setTimesteps(50);
    const x = randomLatents(LENGTH, 12);
    const [a, prev] = [sdAlphaBar(501), sdAlphaBar(481)];
    const factor = (Math.sqrt(prev) * (1 - Math.sqrt(1 - a))) / Math.sqrt(a) + Math.sqrt(1 - prev);
    expectClose(scheduler.step(x, 501, x, new CountingNoise(0)), scaled(x, factor), 1e-5);
  });

  it('reads a v-prediction of zero as x0 = sqrt(alphaBar) x and eps = sqrt(1 - alphaBar) x', () => {
    const scheduler = createScheduler(SD21_CONFIG);
    scheduler.setTimesteps(25);
    const [t, prev] = [scheduler.timesteps[0]!, scheduler.timesteps[1]!];
    const [a, p] = [sdAlphaBar(t), sdAlphaBar(prev)];
    const x = randomLatents(LENGTH, 13);
    const factor = Math.sqrt(p) * Math.sqrt(a) + Math.sqrt(1 - p) * Math.sqrt(1 - a);
    expectClose(scheduler.step(new Float32Array(LENGTH), t, x, new CountingNoise(0)), scaled(x, factor), 1e-5);
  });

  it('clips the predicted x0 to [-1, 1] when clip_sample is set', () => {
    const scheduler = createScheduler({ ...SD15_CONFIG, clip_sample: true }, 'ddim');
    scheduler.setTimesteps(50);
    const x = new Float32Array(LENGTH).fill(100);
    x[0] = -100;
    const out = scheduler.step(new Float32Array(LENGTH), 981, x, new CountingNoise(0));
    expect(out[0]).toBeCloseTo(-Math.sqrt(sdAlphaBar(961)), 5);
    expect(out[1]).toBeCloseTo(Math.sqrt(sdAlphaBar(961)), 5);
  });
});

describe('LCM scheduler', () => {
  const boundary = (t: number): { skip: number; out: number } => {
    const s = t * 10;
    return { skip: 0.25 / (s * s + 0.25), out: s / Math.sqrt(s * s + 0.25) };
  };

  it('returns c_out * x0 + c_skip * x after a single step, without noise', () => {
    const scheduler = createScheduler(LCM_CONFIG);
    scheduler.setTimesteps(1);
    const x = randomLatents(LENGTH, 14);
    const noise = new CountingNoise(2);
    const { skip, out } = boundary(999);
    const expected = scaled(x, out / Math.sqrt(sdAlphaBar(999)) + skip);
    expectClose(scheduler.step(new Float32Array(LENGTH), 999, x, noise), expected, 1e-5);
    expect(noise.drawn).toBe(0);
  });

  it('weights the sample by c_skip and x0 by c_out from timestep_scaling', () => {
    // With the default scaling of 10, c_skip is below 1e-8 at every LCM timestep; a small one exposes it.
    const scheduler = createScheduler({ ...LCM_CONFIG, timestep_scaling: 0.001 });
    scheduler.setTimesteps(1);
    const x = randomLatents(LENGTH, 23);
    const s = 999 * 0.001;
    const [skip, out] = [0.25 / (s * s + 0.25), s / Math.sqrt(s * s + 0.25)];
    const expected = scaled(x, out / Math.sqrt(sdAlphaBar(999)) + skip);
    expectClose(scheduler.step(new Float32Array(LENGTH), 999, x, new CountingNoise(0)), expected, 1e-5);
  });

  it('re-noises the denoised estimate to the next timestep between steps', () => {
    const scheduler = createScheduler(LCM_CONFIG);
    scheduler.setTimesteps(4);
    const x = randomLatents(LENGTH, 15);
    const eps = randomLatents(LENGTH, 16);
    const { skip, out } = boundary(759);
    const a = sdAlphaBar(759);
    const next = sdAlphaBar(499);
    const z = new SeededNoise(5).randn(LENGTH);
    const expected = x.map((v, i) => {
      const denoised = out * ((v - Math.sqrt(1 - a) * eps[i]!) / Math.sqrt(a)) + skip * v;
      return Math.sqrt(next) * denoised + Math.sqrt(1 - next) * z[i]!;
    });
    expectClose(scheduler.step(eps, 759, x, new SeededNoise(5)), expected, 1e-4);
  });
});

describe('addNoise', () => {
  it('mixes sqrt(alphaBar) x + sqrt(1 - alphaBar) eps for DDIM and LCM', () => {
    const x = randomLatents(LENGTH, 17);
    const eps = randomLatents(LENGTH, 18);
    const a = sdAlphaBar(499);
    const expected = x.map((v, i) => Math.sqrt(a) * v + Math.sqrt(1 - a) * eps[i]!);
    for (const scheduler of [createScheduler(SD15_CONFIG, 'ddim'), createScheduler(LCM_CONFIG)]) {
      scheduler.setTimesteps(4);
      expectClose(scheduler.addNoise(x, eps, 499), expected, 1e-5);
    }
  });

  it('adds sigma_t eps for Euler, at the first img2img timestep and off the schedule', () => {
    const scheduler = createScheduler(SD_TURBO_CONFIG);
    scheduler.setTimesteps(10, 0.5);
    const t = scheduler.timesteps[0]!;
    const x = randomLatents(LENGTH, 19);
    const eps = randomLatents(LENGTH, 20);
    expectClose(scheduler.addNoise(x, eps, t), x.map((v, i) => v + sdSigma(t) * eps[i]!), 1e-5);
    const between = (sdSigma(500) + sdSigma(501)) / 2;
    expectClose(scheduler.addNoise(x, eps, 500.5), x.map((v, i) => v + between * eps[i]!), 1e-5);
  });

  it('runs an img2img tail from the noised image down to sigma 0', () => {
    const scheduler = createScheduler(SD_TURBO_CONFIG);
    scheduler.setTimesteps(10, 0.5);
    const x0 = randomLatents(LENGTH, 21);
    const eps = randomLatents(LENGTH, 22);
    let x = scheduler.addNoise(x0, eps, scheduler.timesteps[0]!);
    // The exact noise as the model output must walk back to the clean latents.
    for (const t of scheduler.timesteps) x = scheduler.step(eps, t, x, new CountingNoise(0));
    expectClose(x, x0, 1e-4);
  });
});
