import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'bullmq';
import { serveRpc } from '../processes/rpc-host';

let worker: Worker | undefined;

async function stopWorker(): Promise<void> {
  await worker?.close();
  worker = undefined;
}

function startWorker(redisUrl: string, queueName: string, concurrency: number, autorun: boolean): Worker {
  return new Worker(queueName, async () => ({ ok: true }), {
    connection: { url: redisUrl, maxRetriesPerRequest: null },
    concurrency,
    autorun,
  });
}

const methods = {
  /** Starts a no-op worker that keeps serving until stopped. */
  async serve(params: { redisUrl: string; queueName: string; concurrency: number }): Promise<void> {
    await stopWorker();
    worker = startWorker(params.redisUrl, params.queueName, params.concurrency, true);
    await worker.waitUntilReady();
  },

  /** Starts a no-op worker on an existing backlog and reports how long `count` completions took. */
  async drain(params: { redisUrl: string; queueName: string; concurrency: number; count: number; timeoutMs: number }): Promise<{ jobs: number; elapsedMs: number }> {
    await stopWorker();
    const drainer = startWorker(params.redisUrl, params.queueName, params.concurrency, false);
    worker = drainer;
    await drainer.waitUntilReady();
    let completed = 0;
    const started = performance.now();
    const finished = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`drained ${completed} of ${params.count} jobs in ${params.timeoutMs} ms`)), params.timeoutMs);
      drainer.on('completed', () => {
        completed++;
        if (completed === params.count) {
          clearTimeout(timer);
          resolve(performance.now());
        }
      });
    });
    void drainer.run();
    const finishedAt = await finished;
    await stopWorker();
    return { jobs: completed, elapsedMs: finishedAt - started };
  },

  stop: stopWorker,
};

export type BaselineWorkerMethods = typeof methods;

serveRpc(methods, stopWorker);
