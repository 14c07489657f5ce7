import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  alphasCumprod,
  createScheduler,
  DdimScheduler,
  EulerAncestralDiscreteScheduler,
  EulerDiscreteScheduler,
  LcmScheduler,
  loadSchedulerConfig,
  resolveSchedulerConfig,
  schedulerKindFor,
} from '../src/schedulers';
import { SD15_CONFIG, sdAlphaBar } from './scheduler-fixtures';

describe(loadSchedulerConfig.name, () => {
  it('reads scheduler_config.json and fills what old exports leave out with their class defaults', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scheduler-config-'));
    try {
      const { _class_name, beta_start, beta_end, beta_schedule, steps_offset } = SD15_CONFIG;
      await writeFile(join(dir, 'scheduler_config.json'), JSON.stringify({ _class_name, beta_start, beta_end, beta_schedule, steps_offset }));
      const config = await loadSchedulerConfig(dir);
      expect(config).toMatchObject({
        _class_name: 'PNDMScheduler',
        num_train_timesteps: 1000,
        prediction_type: 'epsilon',
        timestep_spacing: 'leading',
        steps_offset: 1,
        set_alpha_to_one: false,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('defaults Euler configs to linspace spacing and DDIM configs to clipping, as diffusers does', () => {
    expect(resolveSchedulerConfig({ _class_name: 'EulerDiscreteScheduler' }).timestep_spacing).toBe('linspace');
    expect(resolveSchedulerConfig({ _class_name: 'DDIMScheduler' })).toMatchObject({ timestep_spacing: 'leading', clip_sample: true });
    expect(resolveSchedulerConfig({ _class_name: 'LCMScheduler' })).toMatchObject({ beta_schedule: 'scaled_linear', original_inference_steps: 50 });
  });

  it('rejects unknown prediction types, spacings and beta schedules', () => {
    expect(() => resolveSchedulerConfig({ _class_name: 'DDIMScheduler', prediction_type: 'flow' })).toThrow(/prediction_type/);
    expect(() => resolveSchedulerConfig({ _class_name: 'DDIMScheduler', timestep_spacing: 'random' })).toThrow(/timestep_spacing/);
    expect(() => resolveSchedulerConfig({ _class_name: 'DDIMScheduler', beta_schedule: 'sigmoid' })).toThrow(/beta_schedule/);
  });
});

describe(createScheduler.name, () => {
  it('builds the scheduler the config names', () => {
    const build = (name: string) => createScheduler(resolveSchedulerConfig({ _class_name: name }));
    expect(build('EulerDiscreteScheduler')).toBeInstanceOf(EulerDiscreteScheduler);
    expect(build('EulerAncestralDiscreteScheduler')).toBeInstanceOf(EulerAncestralDiscreteScheduler);
    expect(build('DDIMScheduler')).toBeInstanceOf(DdimScheduler);
    expect(build('LCMScheduler')).toBeInstanceOf(LcmScheduler);
  });

  it('runs PNDM and DDPM exports with DDIM and DPM-Solver exports with Euler', () => {
    expect(createScheduler(SD15_CONFIG).name).toBe('ddim');
    expect(schedulerKindFor('DDPMScheduler')).toBe('ddim');
    expect(schedulerKindFor('DPMSolverMultistepScheduler')).toBe('euler');
    expect(schedulerKindFor('KDPM2AncestralDiscreteScheduler')).toBe('euler_a');
  });

  it('honours an override on the model config', () => {
    expect(createScheduler(SD15_CONFIG, 'euler_a').name).toBe('euler_a');
    expect(createScheduler(SD15_CONFIG, 'lcm').name).toBe('lcm');
  });

  it('refuses a scheduler family it cannot run', () => {
    expect(() => createScheduler(resolveSchedulerConfig({ _class_name: 'FlowMatchEulerDiscreteScheduler' }))).toThrow(/Unsupported scheduler/);
  });
});

describe(alphasCumprod.name, () => {
  it('matches the scaled_linear product for SD', () => {
    const cumprod = alphasCumprod(SD15_CONFIG);
    for (const t of [0, 250, 999]) expect(cumprod[t]).toBeCloseTo(sdAlphaBar(t), 10);
    expect(cumprod[999]).toBeCloseTo(0.00466, 5);
  });

  it('starts the linear schedule at 1 - beta_start', () => {
    const cumprod = alphasCumprod(resolveSchedulerConfig({ _class_name: 'DDIMScheduler' }));
    expect(cumprod[0]).toBeCloseTo(1 - 0.0001, 12);
    expect(cumprod[1]).toBeCloseTo((1 - 0.0001) * (1 - (0.0001 + 0.0199 / 999)), 12);
  });

  it('telescopes the cosine schedule to f(t+1)/f(0)', () => {
    const cumprod = alphasCumprod(resolveSchedulerConfig({ _class_name: 'DDIMScheduler', beta_schedule: 'squaredcos_cap_v2' }));
    const f = (t: number): number => Math.cos(((t / 1000 + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    for (const t of [0, 100, 500, 900]) expect(cumprod[t]).toBeCloseTo(f(t + 1) / f(0), 8);
  });

  it('rescales to zero terminal SNR while keeping the first step', () => {
    const plain = alphasCumprod(SD15_CONFIG);
    const rescaled = alphasCumprod({ ...SD15_CONFIG, rescale_betas_zero_snr: true });
    expect(rescaled[0]).toBeCloseTo(plain[0]!, 10);
    expect(rescaled[999]).toBeCloseTo(0, 12);
    const increases = Array.from(rescaled).filter((a, t) => t > 0 && a > rescaled[t - 1]!);
    expect(increases).toEqual([]);
  });
});
