import { createHash } from 'node:crypto';

/**
 * The caller's seed when given; otherwise one derived from the job id, so a
 * retried or re-run job reproduces the images of its first attempt.
 */
export function seedForJob(jobId: string, requested: number | undefined): number {
  if (requested !== undefined) return requested;
  // 32 bits: every engine's PRNG accepts it.
  return createHash('sha256').update(jobId).digest().readUInt32BE(0);
}
