import { OUT_OF_MEMORY_PATTERN } from '@imageforge/engine-core';
import { isDeadlineExceededReason, isExpiredReason } from '@imageforge/jobs';
import { isCancelledReason } from '@imageforge/queue';
import type { ErrorClass } from './ops-views';

/** What a failure may arrive as: a job's failedReason, or the error a handler threw (its name and code help). */
export type FailureLike = string | { name?: string; message?: string; code?: unknown } | null | undefined;

/**
 * Checked in order: the first pattern that matches a failure's name, code and message names its
 * class. Out-of-memory goes before engine errors, since allocation failures come from engines too
 * (ORT's "Failed to allocate memory", "CUDA out of memory", ComfyUI's OOM).
 */
const PATTERNS: ReadonlyArray<[ErrorClass, RegExp]> = [
  ['out_of_memory', OUT_OF_MEMORY_PATTERN],
  ['timeout', /timed? ?out|timeout|etimedout|esockettimedout|deadline/i],
  ['storage_fault', /^storage |storageunavailable|nosuchbucket|nosuchkey|accessdenied|slowdown|econnrefused.*(s3|storage)|\bs3\b|object storage|enospc|erofs|edquot/i],
  ['invalid_input', /permanentjoberror|not a usable image|is missing from storage|invalid|unsupported|exceeds|too (large|many)|corrupt|could not decode|unknown job name/i],
  ['engine_error', /engine|inference|onnx|\bort\b|model|cuda|cudnn|comfyui|upstream|sampler/i],
];

/**
 * The bounded class of a job's failure, for metric labels and the dashboard's failure groups.
 * Cancel, expiry and deadline markers are recognised first; the rest go by words, since a reason
 * that crossed Redis is only a string.
 */
export function classifyError(failure: FailureLike): ErrorClass {
  const message = typeof failure === 'string' ? failure : (failure?.message ?? '');
  if (isCancelledReason(message)) return 'cancelled';
  if (isExpiredReason(message)) return 'expired';
  if (isDeadlineExceededReason(message)) return 'timeout';
  const named = typeof failure === 'object' && failure !== null ? [failure.name, typeof failure.code === 'string' ? failure.code : undefined] : [];
  const text = [...named.filter(Boolean), message].join(' ');
  if (!text) return 'other';
  return PATTERNS.find(([, pattern]) => pattern.test(text))?.[0] ?? 'other';
}
