import { serveRpc } from '../processes/rpc-host';
import { summarizeLatencies, type LatencySummary } from '../stats/latency-summary';
import { runClosedLoop, type ClosedLoopOptions, type ClosedLoopResult } from './closed-loop';
import { HttpJsonClient } from './http-json-client';
import { generateSync, pollUntilDone, submitAsync, type GenerationBody } from './image-requests';

/** Epoch milliseconds (sub-millisecond precision) around one sync request. */
export interface StampedRequest {
  jobId: string;
  sentAt: number;
  receivedAt: number;
}

interface Target {
  baseUrl: string;
  apiKey: string;
  body: GenerationBody;
  /** Per-request deadline. */
  timeoutMs: number;
}

async function withClient<T>(target: Target, sockets: number, body: (client: HttpJsonClient) => Promise<T>): Promise<T> {
  const client = new HttpJsonClient(target.baseUrl, target.apiKey, sockets);
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

const methods = {
  /** Retries one sync generation until it succeeds: the API, queue and worker are all up. */
  async ready(params: Target & { deadlineMs: number }): Promise<{ attempts: number }> {
    return withClient(params, 1, async (client) => {
      const deadline = Date.now() + params.deadlineMs;
      let lastError: unknown;
      for (let attempt = 1; attempt <= 1_000 && Date.now() < deadline; attempt++) {
        try {
          await generateSync(client, params.body, Math.min(params.timeoutMs, Math.max(1, deadline - Date.now())));
          return { attempts: attempt };
        } catch (error) {
          // A 4xx will not heal by waiting: the bench's request or configuration is wrong.
          if (error instanceof Error && /HTTP 4\d\d/.test(error.message)) throw error;
          lastError = error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
      throw new Error(`stack not serving generations after ${params.deadlineMs} ms: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
    });
  },

  async sync(params: Target & { loop: ClosedLoopOptions }): Promise<ClosedLoopResult> {
    return withClient(params, params.loop.concurrency, (client) =>
      runClosedLoop(params.loop, async () => {
        await generateSync(client, params.body, params.timeoutMs);
      }),
    );
  },

  /** Sequential sync generations, each stamped with epoch send and receive times for the stage breakdown. */
  async syncStamped(params: Target & { count: number; maxMs: number }): Promise<StampedRequest[]> {
    return withClient(params, 1, async (client) => {
      const stamps: StampedRequest[] = [];
      const stopAt = Date.now() + params.maxMs;
      const epochNow = () => performance.timeOrigin + performance.now();
      for (let index = 0; index < params.count && Date.now() < stopAt; index++) {
        const sentAt = epochNow();
        const jobId = await generateSync(client, params.body, params.timeoutMs);
        const receivedAt = epochNow();
        if (jobId) stamps.push({ jobId, sentAt, receivedAt });
      }
      return stamps;
    });
  },

  /** Submit with `Prefer: respond-async`, then poll; latency is submit to completion seen. */
  async asyncPoll(params: Target & { loop: ClosedLoopOptions; pollIntervalMs: number }): Promise<{ run: ClosedLoopResult; submitLatencyMs: LatencySummary }> {
    return withClient(params, params.loop.concurrency, async (client) => {
      const submitLatencies: number[] = [];
      const warmupEnds = performance.now() + params.loop.warmupMs;
      const run = await runClosedLoop(params.loop, async () => {
        const sentAt = performance.now();
        const id = await submitAsync(client, params.body, params.timeoutMs);
        if (sentAt >= warmupEnds) submitLatencies.push(performance.now() - sentAt);
        await pollUntilDone(client, id, params.pollIntervalMs, params.timeoutMs);
      });
      return { run, submitLatencyMs: summarizeLatencies(submitLatencies) };
    });
  },

  /** Fires `count` async submissions from `concurrency` callers as fast as the API accepts them. */
  async burst(params: Target & { count: number; concurrency: number; maxMs: number }): Promise<{ submitted: number; errors: number; errorSamples: string[]; startedAt: number; elapsedMs: number; lastJobId?: string }> {
    return withClient(params, params.concurrency, async (client) => {
      const startedAt = Date.now();
      const started = performance.now();
      const stopAt = started + params.maxMs;
      let next = 0;
      let submitted = 0;
      let errors = 0;
      let lastJobId: string | undefined;
      const errorSamples = new Set<string>();
      const caller = async () => {
        while (next < params.count && performance.now() < stopAt) {
          next++;
          try {
            lastJobId = await submitAsync(client, params.body, params.timeoutMs);
            submitted++;
          } catch (error) {
            errors++;
            if (errorSamples.size < 5) errorSamples.add(error instanceof Error ? error.message : String(error));
          }
        }
      };
      await Promise.all(Array.from({ length: params.concurrency }, caller));
      return { submitted, errors, errorSamples: [...errorSamples], startedAt, elapsedMs: performance.now() - started, lastJobId };
    });
  },
};

export type LoadGeneratorMethods = typeof methods;

serveRpc(methods);
