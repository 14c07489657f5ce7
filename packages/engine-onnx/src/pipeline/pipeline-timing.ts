/**
 * Optional instrumentation of a pipeline run: ONNX Runtime time (session.run) vs host time
 * (tokenizer, scheduler, guidance arithmetic, tensor copies). Costs one branch when unused.
 */
export type TimingKind = 'onnx' | 'host';

export interface PipelineTimingHook {
  /** `phase` names the part: `unet`, `text_encoder`, `vae_decoder`, `vae_encoder`, `tokenizer`, `step`, `pixels`, … */
  record(kind: TimingKind, phase: string, ms: number): void;
}

export async function timed<T>(hook: PipelineTimingHook | undefined, kind: TimingKind, phase: string, work: () => Promise<T> | T): Promise<T> {
  if (!hook) return work();
  const start = performance.now();
  try {
    return await work();
  } finally {
    hook.record(kind, phase, performance.now() - start);
  }
}
