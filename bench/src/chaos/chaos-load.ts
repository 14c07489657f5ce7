import { HttpJsonClient } from '../load/http-json-client';
import { sleep } from './chaos-stack';

export interface ChaosLoadOptions {
  baseUrl: string;
  apiKey: string;
  model: string;
  seed: number;
  asyncJobs: number;
  asyncSubmitters: number;
  syncCallers: number;
  /** Sync callers keep going until then (ms from start); async submissions are spread over it. */
  durationMs: number;
  /** Pause of each sync caller between its requests. */
  syncPauseMs: number;
}

/** How each sync request ended. */
export interface SyncTally {
  requests: number;
  ok: number;
  /** An error status whose x-job-id names the job (failed, cancelled, timed out: the job can be polled). */
  errorNamingJob: number;
  /** 503 before any job existed (Redis unreachable): nothing was queued, the caller may retry. */
  refusedNothingQueued: number;
  /** The connection failed or no answer came within the deadline. */
  noAnswer: number;
  otherErrors: Record<string, number>;
}

export interface ChaosLoadResult {
  asyncAccepted: string[];
  /** Submissions that were never accepted before their deadline, despite retries. */
  asyncGaveUp: number;
  asyncRetries: number;
  syncJobIds: string[];
  sync: SyncTally;
}

const GENERATIONS = '/v1/images/generations';

/**
 * The callers of a bad day: async submissions with an Idempotency-Key each, retried
 * until accepted (a retry after a lost answer must not queue a second job), and
 * sync callers in a paced loop that count how every request ended.
 */
export async function runChaosLoad(options: ChaosLoadOptions): Promise<ChaosLoadResult> {
  const body = { model: options.model, prompt: 'a lighthouse in a storm', size: '256x256', n: 1, response_format: 'url' };
  const asyncClient = new HttpJsonClient(options.baseUrl, options.apiKey, options.asyncSubmitters);
  const syncClient = new HttpJsonClient(options.baseUrl, options.apiKey, options.syncCallers);
  const started = Date.now();
  const result: ChaosLoadResult = {
    asyncAccepted: [],
    asyncGaveUp: 0,
    asyncRetries: 0,
    syncJobIds: [],
    sync: { requests: 0, ok: 0, errorNamingJob: 0, refusedNothingQueued: 0, noAnswer: 0, otherErrors: {} },
  };
  try {
    let next = 0;
    const interval = options.durationMs / options.asyncJobs;
    const submitter = async () => {
      while (next < options.asyncJobs) {
        const index = next++;
        const due = started + index * interval;
        if (Date.now() < due) await sleep(due - Date.now());
        const deadline = Date.now() + 120_000;
        for (let attempt = 0; ; attempt++) {
          try {
            const response = await asyncClient.send('POST', GENERATIONS, body, { prefer: 'respond-async', 'idempotency-key': `chaos-${options.seed}-${index}` }, 10_000);
            if (response.status === 202) {
              result.asyncAccepted.push(String((response.body as { id: string }).id));
              break;
            }
          } catch {
            // No answer: retried with the same key below.
          }
          if (Date.now() > deadline) {
            result.asyncGaveUp += 1;
            break;
          }
          result.asyncRetries += 1;
          await sleep(250);
        }
      }
    };
    const caller = async (index: number) => {
      for (let round = 0; Date.now() - started < options.durationMs; round++) {
        result.sync.requests += 1;
        try {
          const response = await syncClient.send('POST', GENERATIONS, body, { 'idempotency-key': `chaos-sync-${options.seed}-${index}-${round}` }, 130_000);
          const jobId = response.headers['x-job-id'];
          if (typeof jobId === 'string') result.syncJobIds.push(jobId);
          const code = (response.body as { error?: { code?: string } } | undefined)?.error?.code;
          if (response.status === 200) result.sync.ok += 1;
          else if (typeof jobId === 'string') result.sync.errorNamingJob += 1;
          else if (response.status === 503) result.sync.refusedNothingQueued += 1;
          else {
            const kind = `${response.status} ${code ?? ''}`.trim();
            result.sync.otherErrors[kind] = (result.sync.otherErrors[kind] ?? 0) + 1;
          }
        } catch {
          result.sync.noAnswer += 1;
        }
        await sleep(options.syncPauseMs);
      }
    };
    await Promise.all([
      ...Array.from({ length: options.asyncSubmitters }, () => submitter()),
      ...Array.from({ length: options.syncCallers }, (_, index) => caller(index)),
    ]);
  } finally {
    asyncClient.close();
    syncClient.close();
  }
  return result;
}
