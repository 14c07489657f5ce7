/**
 * Object keys derived from the job id, so a retried job overwrites its own
 * objects instead of leaving orphans, and an operator can find a job's files.
 */
export function inputImageKey(jobId: string, index: number): string {
  return `jobs/${jobId}/input/image-${index}`;
}

export function inputMaskKey(jobId: string): string {
  return `jobs/${jobId}/input/mask`;
}

export function outputImageKey(jobId: string, index: number, extension: string): string {
  return `jobs/${jobId}/output/${index}.${extension}`;
}
