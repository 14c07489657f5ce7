import type { AnyImageJobRecord, ImageJobCatalog, QueueStanding } from '@imageforge/jobs';

/** Unix milliseconds; null where there is nothing to estimate from. */
export interface ImageJobEta {
  startAt: number | null;
  finishAt: number | null;
}

export interface ImageJobEtaInput {
  record: AnyImageJobRecord;
  /** The job's place in its lane while it waits; null when it does not wait. */
  standing: QueueStanding<ImageJobCatalog> | null;
  /** Measured seconds per image by model (the worker's whole slot time, inputs to stored outputs). */
  secondsPerImage: ReadonlyMap<string, number>;
  now: number;
}

const NO_ETA: ImageJobEta = { startAt: null, finishAt: null };

/** Models whose pace an estimate for this record reads. */
export function etaModels(record: AnyImageJobRecord, standing: QueueStanding<ImageJobCatalog> | null): string[] {
  const payloads = [record.payload, ...(standing?.ahead ?? []), ...(standing?.running.map((job) => job.payload) ?? [])];
  return [...new Set(payloads.map(modelOf).filter((model): model is string => model !== undefined))];
}

/**
 * When a job should start and finish, by playing its lane forward: the lane's running jobs
 * free their slots when their measured time is up, and the jobs ahead take the earliest
 * free slot one after another. Beyond the sampled jobs ahead, the rest are assumed to
 * cost what the sampled ones did on average. The lane's capacity is what it runs now (at
 * least one slot), so a lane whose slots other lanes borrowed reads as slower than it may
 * turn out. A job whose own model was never measured gets no estimate rather than a
 * guess; a job ahead of unmeasured model is priced at this job's model's pace.
 */
export function estimateImageJobTimes(input: ImageJobEtaInput): ImageJobEta {
  const { record, standing, secondsPerImage, now } = input;
  const ownModel = modelOf(record.payload);
  const ownPace = ownModel === undefined ? undefined : secondsPerImage.get(ownModel);
  if (ownPace === undefined) return NO_ETA;
  const cost = (payload: unknown) => durationMs(payload, secondsPerImage, ownPace);
  const own = cost(record.payload);
  if (record.status === 'in_progress') {
    return { startAt: null, finishAt: Math.max(now, (record.startedAt ?? now) + own) };
  }
  if (record.status !== 'queued' || !standing) return NO_ETA;
  const slots = standing.running.length > 0 ? standing.running.map((job) => Math.max(now, job.startedAt + cost(job.payload))) : [now];
  const earliest = () => slots.reduce((best, at, index) => (at < slots[best]! ? index : best), 0);
  for (const payload of standing.ahead) slots[earliest()]! += cost(payload);
  const unsampled = Math.max(0, standing.position - standing.ahead.length);
  const average = standing.ahead.length > 0 ? standing.ahead.reduce((sum, payload) => sum + cost(payload), 0) / standing.ahead.length : own;
  const startAt = slots[earliest()]! + (unsampled * average) / slots.length;
  return { startAt, finishAt: startAt + own };
}

function modelOf(payload: unknown): string | undefined {
  const model = (payload as { params?: { model?: unknown } } | undefined)?.params?.model;
  return typeof model === 'string' ? model : undefined;
}

/** Payloads ahead are read unparsed (they may predate this deploy): a missing field means unknown. */
function durationMs(payload: unknown, secondsPerImage: ReadonlyMap<string, number>, fallbackPace: number): number {
  const model = modelOf(payload);
  const pace = (model === undefined ? undefined : secondsPerImage.get(model)) ?? fallbackPace;
  const n = (payload as { params?: { n?: unknown } }).params?.n;
  return pace * 1000 * (typeof n === 'number' && n > 0 ? n : 1);
}
