import type { ActionRecord, JobDetail, JobQuery, LaneOverview, OpsActions, OpsReader, WorkerView } from '@imageforge/ops';

/**
 * A small in-memory OpsReader/OpsActions: fixed views whose lanes change as actions run, and a
 * count of every read, so router tests see what the dashboard asked for and how often.
 */
export class RecordingOps {
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  readonly log: ActionRecord[] = [];
  lanesState: LaneOverview[] = [
    { queue: 'images', lane: 'interactive', paused: false, waiting: 3, active: 1, delayed: 0, failedLastHour: 0, completedPerMinute: 4, oldestWaitingAgeMs: 1200, waitSeconds: { p50: 0.1, p95: 0.4, p99: 0.9 }, runSeconds: { p50: 1, p95: 2, p99: 3 } },
    { queue: 'images', lane: 'async', paused: false, waiting: 0, active: 0, delayed: 0, failedLastHour: 2, completedPerMinute: 0, oldestWaitingAgeMs: null, waitSeconds: null, runSeconds: null },
  ];
  jobs: JobDetail[] = [];
  worker: WorkerView = {
    name: 'w1', host: 'gpu-1', pid: 42, startedAt: Date.now() - 60_000, queues: ['images'], lanes: ['interactive', 'async'],
    engines: [{ model: 'dall-e-2', kind: 'synthetic', device: 'cpu' }], state: 'idle', currentJobs: [], done: 5, failed: 1,
    heartbeatAt: Date.now(), intervalMs: 5000, heartbeatAgeMs: 0, lost: false,
  };

  count(method: string): number {
    return this.calls.filter((call) => call.method === method).length;
  }

  private record<T>(method: string, args: unknown[], value: T): Promise<T> {
    this.calls.push({ method, args });
    return Promise.resolve(value);
  }

  readonly reader: OpsReader = {
    lanes: () => this.record('lanes', [], structuredClone(this.lanesState)),
    models: () => this.record('models', [], [{ model: 'dall-e-2', queue: 'images', imagesPerMinute: 4, completedLastHour: 120, failedLastHour: 2, runSeconds: null, secondsPerImage: 0.5, failuresByClass: { invalid_input: 2 }, workers: ['w1'] }]),
    history: (resolution) => {
      const span = resolution === 'minute' ? 1440 : 720;
      const step = resolution === 'minute' ? 60_000 : 3_600_000;
      const points = Array.from({ length: span }, (_, i) => ({ t: i * step, enqueued: i, completed: i, failed: 0, images: i, depth: i % 7 }));
      return this.record('history', [resolution], { resolution, series: { all: points, 'images/interactive': points } });
    },
    workers: () => this.record('workers', [], [this.worker]),
    failures: () => this.record('failures', [], []),
    findJobs: (query: JobQuery) => this.record('findJobs', [query], this.jobs.filter((job) => !query.text || job.id === query.text)),
    job: (id) => this.record('job', [id], this.jobs.find((job) => job.id === id) ?? null),
    batches: () => this.record('batches', [], []),
    usage: (resolution) => this.record('usage', [resolution], [{ owner: 'abcdef0123456789', t: 0, images: 3, gpuSeconds: 1.5 }]),
    actions: () => this.record('actions', [], [...this.log]),
  };

  private act(action: string, target: string, who: string, affected: number, args: unknown[]): Promise<number> {
    this.log.unshift({ at: Date.now(), who, action, target, affected });
    return this.record(action, args, affected);
  }

  readonly actions: OpsActions = {
    pause: (target, who) => {
      for (const lane of this.lanesState) if (lane.queue === target.queue && (!target.lane || lane.lane === target.lane)) lane.paused = true;
      return this.act('pause', `${target.queue}/${target.lane ?? '*'}`, who, 1, [target, who]);
    },
    resume: (target, who) => {
      for (const lane of this.lanesState) if (lane.queue === target.queue && (!target.lane || lane.lane === target.lane)) lane.paused = false;
      return this.act('resume', `${target.queue}/${target.lane ?? '*'}`, who, 1, [target, who]);
    },
    drain: (target, who) => this.act('drain', target.queue, who, 3, [target, who]),
    retryJob: (jobId, who) => this.act('retryJob', jobId, who, 1, [jobId, who]),
    retryFailed: (filter, who) => this.act('retryFailed', filter.queue, who, 2, [filter, who]),
    cancelJob: (jobId, who) => this.act('cancelJob', jobId, who, 1, [jobId, who]),
    cancelMatching: (filter, who) => this.act('cancelMatching', filter.queue, who, 4, [filter, who]),
    clean: (target, state, olderThanMs, who) => this.act('clean', target.queue, who, 7, [target, state, olderThanMs, who]),
  };
}
