import { imageJobCatalog } from '@imageforge/jobs';
import { createRedisConnection, JobQueue, type RedisTarget } from '@imageforge/queue';

type BullQueue = ReturnType<JobQueue<typeof imageJobCatalog>['queue']>;

/** Reads one queue straight from Redis, under the keys the API and workers use, then disconnects. */
export async function readQueue<T>(redis: RedisTarget, queueName: string, read: (queue: BullQueue) => Promise<T>): Promise<T> {
  const connection = createRedisConnection(redis, { role: 'consumer', connectionName: 'imageforge:e2e-inspector' });
  connection.on('error', () => undefined);
  const queues = new JobQueue({ catalog: imageJobCatalog, connection, queueNames: [queueName] });
  try {
    return await read(queues.queue(queueName));
  } finally {
    await queues.close();
    connection.disconnect();
  }
}

/** Counts every job in a queue, whatever its state: "nothing enqueued" means zero. */
export async function countAllJobs(redis: RedisTarget, queueName = 'images'): Promise<number> {
  const counts = await readQueue(redis, queueName, (queue) => queue.getJobCounts());
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}
