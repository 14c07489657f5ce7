import { batchLineJobId, imageJobCatalog, type ImageJobCatalog, type ImageJobPayload, type JobLane, type JobStatus } from '@imageforge/jobs';
import { readJobRecord, statusOf, type JobQueue, type LaneQueue, type RedisClient } from '@imageforge/queue';
import { classifyError } from './error-class';
import { OWNER_PREFIX_LENGTH } from './ops-history.recorder';
import type { JobDetail, JobQuery, JobSummary } from './ops-views';

type BullJob = NonNullable<Awaited<ReturnType<LaneQueue['bull']['getJob']>>>;

/** What job lookup needs of a batch: which queue its lines are on, and how many there are. */
export interface OpsBatchRecord {
  id: string;
  status: string;
  owner: string;
  endpoint: string;
  model: string | null;
  total: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Unix seconds. */
  createdAt: number;
  inProgressAt: number | null;
}

/** Batch records by id; the batches package's BatchStore is one. */
export interface OpsBatchSource {
  get(id: string): Promise<OpsBatchRecord | null>;
}

/** A short-lived link to a stored object; the API wires its ObjectStorage. */
export type SignedUrlPort = (key: string) => Promise<string>;

export interface OpsJobLookupOptions {
  queue: JobQueue<ImageJobCatalog>;
  /** A producer connection to the queues' Redis. */
  connection: RedisClient;
  /** Model id -> model queue, for the model filter and a batch's lane. */
  modelQueues: ReadonlyMap<string, string>;
  batches?: OpsBatchSource;
  signedUrl?: SignedUrlPort;
  /** Jobs read per lane queue and state when scanning recent jobs. Default 100. */
  scanPerState?: number;
}

export const DEFAULT_JOB_LIMIT = 50;
export const MAX_JOB_LIMIT = 200;
/** Lines of one batch read while looking for a custom_id or a status. */
const MAX_BATCH_LINES_SCANNED = 10_000;
const BATCH_CHUNK = 200;
const BATCH_ID = /^(batch_[0-9a-f]{32})(?:[\s/]+(.+))?$/;

/** BullMQ states per status, for listing by state. */
const STATES_OF: Record<JobStatus, readonly string[]> = {
  queued: ['wait', 'prioritized', 'delayed'],
  in_progress: ['active'],
  succeeded: ['completed'],
  failed: ['failed'],
  cancelled: ['failed'],
  expired: ['failed'],
};
const ALL_STATES = ['active', 'wait', 'prioritized', 'delayed', 'completed', 'failed'] as const;

/** Finds image jobs by id, batch, custom_id or owner prefix, and reads one in full. */
export class OpsJobLookup {
  constructor(private readonly options: OpsJobLookupOptions) {}

  async find(query: JobQuery): Promise<JobSummary[]> {
    const limit = Math.min(MAX_JOB_LIMIT, Math.max(1, Math.floor(query.limit ?? DEFAULT_JOB_LIMIT)));
    const keep = (summary: JobSummary | null): summary is JobSummary =>
      summary !== null && (!query.lane || summary.lane === query.lane) && (!query.model || summary.model === query.model) && (!query.status || summary.status === query.status);
    const text = query.text?.trim();
    if (text) {
      const found = await this.options.queue.locate(text).catch(() => undefined);
      if (found) return [await this.summaryOf(found, text)].filter(keep);
      const batch = BATCH_ID.exec(text);
      if (batch) return this.batchLines(batch[1]!, batch[2], keep, limit);
    }
    return this.recent(query, text, keep, limit);
  }

  async detail(jobId: string): Promise<JobDetail | null> {
    const found = await this.options.queue.locate(jobId);
    if (!found) return null;
    const [record, job] = await Promise.all([
      readJobRecord(imageJobCatalog, found.bull, jobId, this.options.connection, found.queue),
      found.bull.getJob(jobId),
    ]);
    if (!record || !job) return null;
    const payload = record.payload as ImageJobPayload;
    const inputKeys = [...('imageKeys' in payload ? payload.imageKeys : []), ...('maskKey' in payload && payload.maskKey ? [payload.maskKey] : []), ...('imageKey' in payload ? [payload.imageKey] : [])];
    const outputKeys = record.result?.images.map((image) => image.key) ?? [];
    const link = async (key: string) => ({ key, url: this.options.signedUrl ? await this.options.signedUrl(key) : '' });
    const stack = job.stacktrace?.at(-1) ?? null;
    return {
      ...summaryFrom(job, found, record.status),
      startedAt: record.startedAt ?? null,
      finishedAt: record.finishedAt ?? null,
      attempts: record.attemptsMade,
      worker: job.processedBy ?? null,
      operation: imageJobCatalog[record.name].operation,
      params: { ...payload.params },
      inputs: await Promise.all(inputKeys.map(link)),
      outputs: await Promise.all(outputKeys.map(link)),
      error: record.error ? { message: record.error.message, errorClass: classifyError(record.error.message), stack } : null,
      progress: record.progress,
    };
  }

  private async summaryOf(found: LaneQueue, jobId: string): Promise<JobSummary | null> {
    const [state, job] = await Promise.all([found.bull.getJobState(jobId), found.bull.getJob(jobId)]);
    return job ? summaryFrom(job, found, statusOf(state, job.failedReason)) : null;
  }

  /** A batch's lines, in line order; with `customId`, only the line(s) carrying it. */
  private async batchLines(batchId: string, customId: string | undefined, keep: (summary: JobSummary | null) => summary is JobSummary, limit: number): Promise<JobSummary[]> {
    const record = await this.options.batches?.get(batchId);
    const queue = record?.model ? this.options.modelQueues.get(record.model) : undefined;
    const lanes = this.options.queue.laneQueues.filter((lane) => lane.lane === 'batch' && (!queue || lane.queue === queue));
    const total = Math.min(record?.total || MAX_BATCH_LINES_SCANNED, MAX_BATCH_LINES_SCANNED);
    const found: JobSummary[] = [];
    for (let first = 1; first <= total && found.length < limit; first += BATCH_CHUNK) {
      const ids = Array.from({ length: Math.min(BATCH_CHUNK, total - first + 1) }, (_, index) => batchLineJobId(batchId, first + index));
      let present = 0;
      for (const lane of lanes) {
        const jobs = await Promise.all(ids.map((id) => lane.bull.getJob(id)));
        const matching = jobs.filter((job): job is BullJob => job !== undefined && (customId === undefined || (job.data as ImageJobPayload).batch?.customId === customId));
        present += jobs.filter(Boolean).length;
        const summaries = await Promise.all(matching.map(async (job) => summaryFrom(job, lane, statusOf(await lane.bull.getJobState(job.id!), job.failedReason))));
        found.push(...summaries.filter(keep));
      }
      // Without a record the length is unknown: a chunk with no line at all is past the end.
      if (!record && present === 0) break;
    }
    return found.slice(0, limit);
  }

  /** The newest jobs of each lane queue and state, matched by owner prefix or custom_id when `text` is given. */
  private async recent(query: JobQuery, text: string | undefined, keep: (summary: JobSummary | null) => summary is JobSummary, limit: number): Promise<JobSummary[]> {
    const queue = query.model ? this.options.modelQueues.get(query.model) : undefined;
    if (query.model && !queue) return [];
    const lanes = this.options.queue.laneQueues.filter((lane) => (!query.lane || lane.lane === query.lane) && (!queue || lane.queue === queue));
    const states = query.status ? STATES_OF[query.status] : ALL_STATES;
    const perState = this.options.scanPerState ?? 100;
    const reads = lanes.flatMap((lane) =>
      states.map(async (state) => {
        const jobs = (await lane.bull.getJobs([state as 'wait'], 0, perState - 1, false)) as BullJob[];
        return jobs.filter(Boolean).map((job) => summaryFrom(job, lane, statusOf(state === 'wait' ? 'waiting' : state, job.failedReason)));
      }),
    );
    const needle = text?.toLowerCase();
    const matches = (summary: JobSummary) => !needle || summary.owner.startsWith(needle) || summary.customId === text;
    return (await Promise.all(reads))
      .flat()
      .filter((summary) => keep(summary) && matches(summary))
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, limit);
  }
}

function summaryFrom(job: BullJob, lane: { queue: string; lane: JobLane }, status: JobStatus): JobSummary {
  const payload = job.data as Partial<ImageJobPayload>;
  return {
    id: job.id!,
    queue: lane.queue,
    lane: lane.lane,
    model: payload.params?.model ?? '',
    status,
    owner: (payload.owner ?? '').slice(0, OWNER_PREFIX_LENGTH),
    createdAt: job.timestamp,
    startedAt: job.processedOn ?? null,
    finishedAt: job.finishedOn ?? null,
    batchId: payload.batch?.id ?? null,
    customId: payload.batch?.customId ?? null,
  };
}
