/** Default base of every queue's key prefix; change it only when deployments share one Redis. */
export const DEFAULT_QUEUE_PREFIX = 'bull';

/**
 * BullMQ key prefix of one queue: `bull:{images}` gives keys like
 * `bull:{images}:images:wait`. Redis Cluster hashes only the part in braces, so
 * every key of a queue lands in one slot (which BullMQ's scripts require), while
 * different queues spread over the shards.
 */
export function queuePrefix(base: string, queueName: string): string {
  return `${base}:{${queueName}}`;
}

export class InvalidJobIdError extends Error {
  override readonly name = 'InvalidJobIdError';
}

/**
 * BullMQ treats an all-digit id as one of its own counter ids and uses `:` as its
 * key separator, so custom ids must avoid both.
 */
export function assertValidJobId(jobId: string): void {
  if (jobId.length === 0 || jobId.length > 200) throw new InvalidJobIdError('job id must be 1 to 200 characters');
  if (/^\d+$/.test(jobId)) throw new InvalidJobIdError(`job id ${jobId} must not be all digits`);
  if (jobId.includes(':')) throw new InvalidJobIdError(`job id ${jobId} must not contain ':'`);
}
