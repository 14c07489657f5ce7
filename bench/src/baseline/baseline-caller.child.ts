import { Queue, QueueEvents } from 'bullmq';
import { runClosedLoop, type ClosedLoopOptions, type ClosedLoopResult } from '../load/closed-loop';
import { serveRpc } from '../processes/rpc-host';
import { BASELINE_JOB_NAME, BASELINE_JOB_OPTIONS, baselinePayload } from './baseline-job';

/** Completion waiters keyed by job id, fed by one shared QueueEvents (not waitUntilFinished). */
class CompletionWaiters {
  private readonly waiters = new Map<string, { resolve: () => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();

  constructor(events: QueueEvents) {
    events.on('completed', ({ jobId }) => this.settle(jobId));
    events.on('failed', ({ jobId, failedReason }) => this.settle(jobId, new Error(failedReason)));
  }

  wait(jobId: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(jobId, new Error(`job ${jobId} not completed within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.set(jobId, { resolve, reject, timer });
    });
  }

  private settle(jobId: string, error?: Error): void {
    const waiter = this.waiters.get(jobId);
    if (!waiter) return;
    this.waiters.delete(jobId);
    clearTimeout(waiter.timer);
    if (error) waiter.reject(error);
    else waiter.resolve();
  }
}

let queue: Queue | undefined;
let events: QueueEvents | undefined;
let waiters: CompletionWaiters | undefined;
let sequence = 0;

async function open(redisUrl: string, queueName: string): Promise<Queue> {
  if (queue?.name === queueName) return queue;
  await close();
  queue = new Queue(queueName, {
    connection: { url: redisUrl, enableOfflineQueue: false, maxRetriesPerRequest: 1 },
    // The service's queue keeps this many events so late waiters can still find completions; same stream cost here.
    streams: { events: { maxLen: 100_000 } },
  });
  events = new QueueEvents(queueName, { connection: { url: redisUrl, maxRetriesPerRequest: null } });
  waiters = new CompletionWaiters(events);
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  return queue;
}

async function close(): Promise<void> {
  await events?.close();
  await queue?.close();
  queue = undefined;
  events = undefined;
}

const methods = {
  /** Closed loop of `Queue.add` followed by waiting for that job's completion event. */
  async addAndWait(params: { redisUrl: string; queueName: string; loop: ClosedLoopOptions; jobTimeoutMs: number }): Promise<ClosedLoopResult> {
    const target = await open(params.redisUrl, params.queueName);
    return runClosedLoop(params.loop, async () => {
      const index = sequence++;
      // Registering before add() because a no-op job can complete before add() resolves.
      const jobId = `b-${process.pid}-${index}`;
      const done = waiters!.wait(jobId, params.jobTimeoutMs);
      await target.add(BASELINE_JOB_NAME, baselinePayload(index), { ...BASELINE_JOB_OPTIONS, jobId });
      await done;
    });
  },

  /** Enqueues a backlog with addBulk in chunks; reports the enqueue rate. */
  async addBacklog(params: { redisUrl: string; queueName: string; count: number; chunk: number }): Promise<{ jobs: number; elapsedMs: number }> {
    const target = await open(params.redisUrl, params.queueName);
    const started = performance.now();
    for (let offset = 0; offset < params.count; offset += params.chunk) {
      const size = Math.min(params.chunk, params.count - offset);
      await target.addBulk(
        Array.from({ length: size }, (_, i) => ({ name: BASELINE_JOB_NAME, data: baselinePayload(offset + i), opts: BASELINE_JOB_OPTIONS })),
      );
    }
    return { jobs: params.count, elapsedMs: performance.now() - started };
  },
};

export type BaselineCallerMethods = typeof methods;

serveRpc(methods, close);
