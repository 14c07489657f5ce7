import type { ImageJobCatalog, LaneLoad } from '@imageforge/jobs';

export interface BackpressureInput {
  /** The interactive lane of the request's model queue. */
  load: LaneLoad<ImageJobCatalog>;
  /** The model asked for. */
  model: string;
  /** Measured seconds per image by model (the pace book); a model never measured is absent. */
  secondsPerImage: ReadonlyMap<string, number>;
  /** How long a sync call may wait (SYNC_TIMEOUT_MS). */
  syncTimeoutMs: number;
}

export type BackpressureVerdict =
  /** `waitSeconds` null: the model was never measured, so there is nothing to judge by. */
  | { admit: true; waitSeconds: number | null }
  | { admit: false; waitSeconds: number; retryAfterSeconds: number };

/**
 * Whether a sync call can still start within the sync limit: the wait is the lane's waiting
 * images times their seconds per image, spread over the jobs running now (at least one slot).
 * Waiting images are the count of waiting jobs weighed by a sample of them (their `n` and
 * model), so the check costs one read however long the line is. Refusing past the limit turns
 * a certain 504 into an early 503 that says when to come back: by then the backlog beyond the
 * limit should have drained. A model never measured never refuses.
 */
export function syncBackpressure(input: BackpressureInput): BackpressureVerdict {
  const pace = input.secondsPerImage.get(input.model);
  if (pace === undefined) return { admit: true, waitSeconds: null };
  const { waiting, running, sample } = input.load;
  if (waiting === 0) return { admit: true, waitSeconds: 0 };
  const secondsPerJob = sample.map((payload) => imagesOf(payload) * (input.secondsPerImage.get(modelOf(payload) ?? input.model) ?? pace));
  const meanSecondsPerJob = secondsPerJob.length > 0 ? secondsPerJob.reduce((sum, seconds) => sum + seconds, 0) / secondsPerJob.length : pace;
  const waitSeconds = (waiting * meanSecondsPerJob) / Math.max(1, running);
  const limitSeconds = input.syncTimeoutMs / 1000;
  if (waitSeconds <= limitSeconds) return { admit: true, waitSeconds };
  return { admit: false, waitSeconds, retryAfterSeconds: Math.max(1, Math.ceil(waitSeconds - limitSeconds)) };
}

/** Every model whose pace the verdict may ask for: the request's and the sampled jobs'. */
export function backpressureModels(model: string, load: LaneLoad<ImageJobCatalog>): string[] {
  const models = new Set([model]);
  for (const payload of load.sample) {
    const sampled = modelOf(payload);
    if (sampled) models.add(sampled);
  }
  return [...models];
}

// Sampled payloads are read back unparsed (they may predate this deploy): take fields defensively.
function imagesOf(payload: unknown): number {
  const n = (payload as { params?: { n?: unknown } } | null)?.params?.n;
  return typeof n === 'number' && Number.isFinite(n) && n >= 1 ? n : 1;
}

function modelOf(payload: unknown): string | undefined {
  const model = (payload as { params?: { model?: unknown } } | null)?.params?.model;
  return typeof model === 'string' ? model : undefined;
}
