import { Queue } from 'bullmq';

/** Counts every job in a queue, whatever its state: "nothing enqueued" means zero. */
export async function countAllJobs(redisUrl: string, queueName = 'images'): Promise<number> {
  const url = new URL(redisUrl);
  const queue = new Queue(queueName, { connection: { host: url.hostname, port: Number(url.port) } });
  try {
    const counts = await queue.getJobCounts();
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  } finally {
    await queue.close();
  }
}
