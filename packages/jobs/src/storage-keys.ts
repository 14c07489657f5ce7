/**
 * Object keys derived from the job id, so a retried job overwrites its own
 * objects instead of leaving orphans, an operator can find a job's files, and the
 * retention sweep can tell from a key alone which job it belongs to.
 */
export const JOB_OBJECTS_PREFIX = 'jobs/';

export function inputImageKey(jobId: string, index: number): string {
  return `${JOB_OBJECTS_PREFIX}${jobId}/input/image-${index}`;
}

export function inputMaskKey(jobId: string): string {
  return `${JOB_OBJECTS_PREFIX}${jobId}/input/mask`;
}

export function outputImageKey(jobId: string, index: number, extension: string): string {
  return `${JOB_OBJECTS_PREFIX}${jobId}/output/${index}.${extension}`;
}

/** A stream preview: under the job's own prefix, so it expires with the job. */
export function partialImageKey(jobId: string, imageIndex: number, partialIndex: number, extension: string): string {
  return `${JOB_OBJECTS_PREFIX}${jobId}/partial/${imageIndex}-${partialIndex}.${extension}`;
}

/** Everything stored as a job's inputs: what it reads, deleted once it has ended. */
export function inputObjectsPrefix(jobId: string): string {
  return `${JOB_OBJECTS_PREFIX}${jobId}/input/`;
}

/** What a key under `jobs/<id>/` holds: what the job reads, what it made, or a stream preview. */
export type JobObjectKind = 'input' | 'output' | 'partial';

/** The kind of a job object, or undefined for a key that is not one. */
export function jobObjectKindOfKey(key: string): JobObjectKind | undefined {
  const jobId = jobIdOfKey(key);
  if (jobId === undefined) return undefined;
  const kind = key.slice(JOB_OBJECTS_PREFIX.length + jobId.length + 1).split('/', 1)[0];
  return kind === 'input' || kind === 'output' || kind === 'partial' ? kind : undefined;
}

/** The job a key under `jobs/` belongs to, or undefined for any other key. */
export function jobIdOfKey(key: string): string | undefined {
  if (!key.startsWith(JOB_OBJECTS_PREFIX)) return undefined;
  const end = key.indexOf('/', JOB_OBJECTS_PREFIX.length);
  return end > JOB_OBJECTS_PREFIX.length ? key.slice(JOB_OBJECTS_PREFIX.length, end) : undefined;
}
