import { imageJobCatalog, JOB_LANES, type JobLane } from '@imageforge/jobs';
import { createRedisConnection, JobQueue, type RedisTarget } from '@imageforge/queue';

type BullQueue = ReturnType<JobQueue<typeof imageJobCatalog>['queue']>;

/** Reads every lane of a model queue straight from Redis, under the keys the API and workers use, then disconnects. */
export async function readEveryLane<T>(redis: RedisTarget, queueName: string, read: (queue: BullQueue, lane: JobLane) => Promise<T>): Promise<T[]> {
  return readLanes(redis, queueName, (queues) => Promise.all(JOB_LANES.map((lane) => read(queues.queue(queueName, lane), lane))));
}

async function readLanes<T>(redis: RedisTarget, queueName: string, read: (queues: JobQueue<typeof imageJobCatalog>) => Promise<T>): Promise<T> {
  const connection = createRedisConnection(redis, { role: 'consumer', connectionName: 'imageforge:e2e-inspector' });
  connection.on('error', () => undefined);
  const queues = new JobQueue({ catalog: imageJobCatalog, connection, queueNames: [queueName] });
  try {
    return await read(queues);
  } finally {
    await queues.close();
    connection.disconnect();
  }
}

/** Counts every job in every lane of a queue, whatever its state: "nothing enqueued" means zero. */
export async function countAllJobs(redis: RedisTarget, queueName = 'images'): Promise<number> {
  const counts = await readEveryLane(redis, queueName, (queue) => queue.getJobCounts());
  return counts.flatMap((byState) => Object.values(byState)).reduce((sum, count) => sum + count, 0);
}
