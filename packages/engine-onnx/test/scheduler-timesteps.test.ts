import { createScheduler, EulerDiscreteScheduler, LcmScheduler, resolveSchedulerConfig } from '../src/schedulers';
import { LCM_CONFIG, SD15_CONFIG, SD21_CONFIG, SD_TURBO_CONFIG, sdSigma } from './scheduler-fixtures';

describe('scheduler timesteps', () => {
  it('gives SD 1.5 with 50 leading steps and steps_offset 1 the timesteps 981, 961, ..., 1', () => {
    const expected = Array.from({ length: 50 }, (_, i) => 981 - 20 * i);
    for (const kind of ['ddim', 'euler', 'euler_a'] as const) {
      const scheduler = createScheduler(SD15_CONFIG, kind);
      scheduler.setTimesteps(50);
      expect(scheduler.timesteps).toEqual(expected);
    }
  });

  it('starts Euler with leading spacing from sqrt(sigma_max^2 + 1) and with trailing spacing from sigma_max', () => {
    const leading = createScheduler(SD15_CONFIG, 'euler');
    leading.setTimesteps(50);
    expect(leading.initNoiseSigma).toBeCloseTo(Math.sqrt(sdSigma(981) ** 2 + 1), 4);
    const turbo = createScheduler(SD_TURBO_CONFIG);
    turbo.setTimesteps(1);
    expect(turbo.initNoiseSigma).toBeCloseTo(14.6146, 3);
    expect(createScheduler(SD21_CONFIG).initNoiseSigma).toBe(1);
  });

  it('gives SD-Turbo one trailing step at 999 and four at 999, 749, 499, 249', () => {
    const scheduler = createScheduler(SD_TURBO_CONFIG);
    scheduler.setTimesteps(1);
    expect(scheduler.timesteps).toEqual([999]);
    scheduler.setTimesteps(4);
    expect(scheduler.timesteps).toEqual([999, 749, 499, 249]);
  });

  it('rounds trailing timesteps half to even as numpy does', () => {
    const scheduler = createScheduler(SD_TURBO_CONFIG);
    scheduler.setTimesteps(16);
    expect(scheduler.timesteps).toEqual([999, 937, 874, 811, 749, 687, 624, 561, 499, 437, 374, 311, 249, 187, 124, 61]);
    scheduler.setTimesteps(7);
    expect(scheduler.timesteps).toEqual([999, 856, 713, 570, 428, 285, 142]);
  });

  it('keeps fractional float32 timesteps for Euler with linspace spacing and integers for DDIM', () => {
    const linspace = { ...SD15_CONFIG, timestep_spacing: 'linspace' as const };
    const euler = createScheduler(linspace, 'euler');
    euler.setTimesteps(50);
    expect(euler.timesteps.slice(0, 3)).toEqual([999, Math.fround(978.6122448979592), Math.fround(958.2244897959183)]);
    expect(euler.timesteps[49]).toBe(0);
    const ddim = createScheduler(linspace, 'ddim');
    ddim.setTimesteps(50);
    expect(ddim.timesteps.slice(0, 3)).toEqual([999, 979, 958]);
  });

  it('takes LCM timesteps from the 50-step distillation schedule', () => {
    const scheduler = createScheduler(LCM_CONFIG);
    expect(scheduler).toBeInstanceOf(LcmScheduler);
    scheduler.setTimesteps(4);
    expect(scheduler.timesteps).toEqual([999, 759, 499, 259]);
    scheduler.setTimesteps(1);
    expect(scheduler.timesteps).toEqual([999]);
    scheduler.setTimesteps(8);
    expect(scheduler.timesteps).toEqual([999, 879, 759, 639, 499, 379, 259, 139]);
  });

  it('keeps the last int(steps * strength) timesteps for img2img', () => {
    for (const kind of ['ddim', 'euler', 'euler_a'] as const) {
      const scheduler = createScheduler(SD_TURBO_CONFIG, kind);
      scheduler.setTimesteps(10);
      const full = [...scheduler.timesteps];
      scheduler.setTimesteps(10, 0.5);
      expect(scheduler.timesteps).toEqual(full.slice(5));
      // Python's int(100 * 0.29) is 28, not 29.
      scheduler.setTimesteps(100, 0.29);
      expect(scheduler.timesteps).toHaveLength(28);
      scheduler.setTimesteps(10, 0.01);
      expect(scheduler.timesteps).toHaveLength(1);
    }
  });

  it('narrows the LCM schedule for img2img instead of dropping steps', () => {
    const scheduler = createScheduler(LCM_CONFIG);
    scheduler.setTimesteps(4, 0.5);
    expect(scheduler.timesteps).toEqual([499, 379, 259, 139]);
  });

  it('spaces Karras sigmas between the schedule ends with rho 7', () => {
    const config = resolveSchedulerConfig({ ...SD_TURBO_CONFIG, timestep_spacing: 'linspace', use_karras_sigmas: true });
    const scheduler = createScheduler(config) as EulerDiscreteScheduler;
    scheduler.setTimesteps(10);
    const sigmas = Array.from(scheduler.sigmas);
    expect(sigmas).toHaveLength(11);
    expect(sigmas[0]).toBeCloseTo(sdSigma(999), 3);
    expect(sigmas[9]).toBeCloseTo(sdSigma(0), 4);
    expect(sigmas[10]).toBe(0);
    const root = (s: number): number => s ** (1 / 7);
    for (let i = 1; i < 9; i++) expect(root(sigmas[i + 1]!) - root(sigmas[i]!)).toBeCloseTo(root(sigmas[1]!) - root(sigmas[0]!), 4);
    expect(scheduler.timesteps[0]).toBeCloseTo(999, 2);
    expect(scheduler.timesteps[9]).toBeCloseTo(0, 2);
  });

  it('rejects a step count larger than the training schedule', () => {
    expect(() => createScheduler(SD15_CONFIG, 'ddim').setTimesteps(1001)).toThrow(RangeError);
    expect(() => createScheduler(SD15_CONFIG, 'euler').setTimesteps(0)).toThrow(RangeError);
  });
});
