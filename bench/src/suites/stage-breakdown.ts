import type { StampedRequest } from '../load/load-generator.child';
import type { RedisProbe } from '../stack/redis-probe';
import { summarizeLatencies } from '../stats/latency-summary';

/** One stage of a sync request, from timestamps the client, API, BullMQ and worker each record. */
export interface StageTiming {
  stage: string;
  meanMs: number;
  p50Ms: number;
}

export interface StageBreakdown {
  label: string;
  requests: number;
  stages: StageTiming[];
}

const STAGES: Array<[string, (t: JobTimes) => number]> = [
  ['client sent → API accepted the request (HTTP, auth, body parse)', (t) => t.acceptedAt - t.sentAt],
  ['API accepted → job created (validation, payload)', (t) => t.createdAt - t.acceptedAt],
  ['job created → worker started it (add, queue wait, fetch)', (t) => t.processedOn - t.createdAt],
  ['worker started → result ready (engine, encode, store)', (t) => t.resultAt - t.processedOn],
  ['result ready → job completed in Redis', (t) => t.finishedOn - t.resultAt],
  ['job completed → client got the response (event, read, respond)', (t) => t.receivedAt - t.finishedOn],
  ['total', (t) => t.receivedAt - t.sentAt],
];

interface JobTimes {
  sentAt: number;
  acceptedAt: number;
  createdAt: number;
  processedOn: number;
  resultAt: number;
  finishedOn: number;
  receivedAt: number;
}

/**
 * Splits sequential sync requests into stages using the job hash BullMQ keeps
 * (`timestamp`, `processedOn`, `finishedOn`), the payload's `acceptedAt` and the
 * result's `finishedAt`. All clocks are this machine's, so stages add up to the total;
 * BullMQ's and the service's stamps are whole milliseconds, hence means next to medians.
 */
export async function breakDownStages(probe: RedisProbe, label: string, stamps: StampedRequest[]): Promise<StageBreakdown> {
  const times: JobTimes[] = [];
  for (const stamp of stamps) {
    const hash = await probe.jobHash('images', stamp.jobId);
    if (!hash?.data || !hash.returnvalue) continue;
    const data = JSON.parse(hash.data) as { acceptedAt?: number };
    const result = JSON.parse(hash.returnvalue) as { finishedAt?: number };
    const entry = {
      sentAt: stamp.sentAt,
      acceptedAt: Number(data.acceptedAt),
      createdAt: Number(hash.timestamp),
      processedOn: Number(hash.processedOn),
      resultAt: Number(result.finishedAt),
      finishedOn: Number(hash.finishedOn),
      receivedAt: stamp.receivedAt,
    };
    if (Object.values(entry).every(Number.isFinite)) times.push(entry);
  }
  return {
    label,
    requests: times.length,
    stages: STAGES.map(([stage, pick]) => {
      const summary = summarizeLatencies(times.map(pick));
      return { stage, meanMs: summary.mean, p50Ms: summary.p50 };
    }),
  };
}
