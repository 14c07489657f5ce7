import { DdimScheduler } from './ddim-scheduler';
import { EulerAncestralDiscreteScheduler } from './euler-ancestral-discrete-scheduler';
import { EulerDiscreteScheduler } from './euler-discrete-scheduler';
import { LcmScheduler } from './lcm-scheduler';
import type { DiffusionScheduler, SchedulerConfig } from './scheduler';

export type SchedulerKind = 'euler' | 'euler_a' | 'ddim' | 'lcm';

export const SCHEDULER_KINDS: readonly SchedulerKind[] = ['euler', 'euler_a', 'ddim', 'lcm'];

/**
 * Which supported sampler runs a model whose export names another class. Multistep and
 * second-order solvers (PNDM's PLMS, DPM-Solver, UniPC, Heun, LMS) are not implemented:
 * PNDM and DDPM share DDIM's ᾱ timestep grid and DDIM is PLMS's first-order core; the
 * σ-space solvers fall back to Euler on the same σ schedule (their ancestral/SDE variants to
 * Euler ancestral); TCD is a consistency sampler like LCM.
 */
const CLASS_KINDS: Record<string, SchedulerKind> = {
  EulerDiscreteScheduler: 'euler',
  EulerAncestralDiscreteScheduler: 'euler_a',
  DDIMScheduler: 'ddim',
  LCMScheduler: 'lcm',
  PNDMScheduler: 'ddim',
  DDPMScheduler: 'ddim',
  DDIMParallelScheduler: 'ddim',
  LMSDiscreteScheduler: 'euler',
  HeunDiscreteScheduler: 'euler',
  KDPM2DiscreteScheduler: 'euler',
  DPMSolverMultistepScheduler: 'euler',
  DPMSolverSinglestepScheduler: 'euler',
  DEISMultistepScheduler: 'euler',
  UniPCMultistepScheduler: 'euler',
  KDPM2AncestralDiscreteScheduler: 'euler_a',
  DPMSolverSDEScheduler: 'euler_a',
  TCDScheduler: 'lcm',
};

/** The kind a config's `_class_name` runs as; throws for classes outside SD's ε/v family (e.g. flow matching). */
export function schedulerKindFor(className: string): SchedulerKind {
  const kind = CLASS_KINDS[className];
  if (kind === undefined) {
    throw new Error(`Unsupported scheduler ${className}; supported: ${Object.keys(CLASS_KINDS).join(', ')}`);
  }
  return kind;
}

/**
 * Builds the scheduler a model's config names, or `override` on the same config (betas,
 * prediction type and spacing stay the model's), as diffusers' `Scheduler.from_config` does.
 */
export function createScheduler(config: SchedulerConfig, override?: SchedulerKind): DiffusionScheduler {
  const kind = override ?? schedulerKindFor(config._class_name);
  switch (kind) {
    case 'euler':
      return new EulerDiscreteScheduler(config);
    case 'euler_a':
      return new EulerAncestralDiscreteScheduler(config);
    case 'ddim':
      return new DdimScheduler(config);
    case 'lcm':
      return new LcmScheduler(config);
    default:
      throw new Error(`Unknown scheduler kind ${String(kind)}; use one of ${SCHEDULER_KINDS.join(', ')}`);
  }
}
