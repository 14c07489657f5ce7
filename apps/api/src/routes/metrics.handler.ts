import type { Request, Response } from 'express';
import type { ApiDeps } from '../api-deps';

type Sample = [name: string, labels: Record<string, string>, value: number];

const HELP: Record<string, string> = {
  nodejs_heap_size_used_bytes: 'V8 heap in use.',
  nodejs_heap_size_total_bytes: 'V8 heap reserved.',
  process_resident_memory_bytes: 'Resident set size of the API process.',
  imageforge_sync_waiters: 'Synchronous requests waiting for their jobs in this API process.',
  imageforge_queue_jobs: 'Jobs per model queue, lane and BullMQ state.',
  imageforge_job_events_total:
    'Jobs of the whole deployment that expired unstarted, ran past their run deadline, were refused as overloaded (503), or were cancelled when their sync caller hung up.',
};

/** Counters, not gauges: Prometheus takes rates of them. */
const COUNTERS = new Set(['imageforge_job_events_total']);

/**
 * GET /metrics in Prometheus text format: process memory, sync waiters, and job counts
 * per queue, lane and state. Counts only, no job data, so it needs no key (like /healthz).
 */
export function metricsHandler(deps: ApiDeps) {
  return async (_req: Request, res: Response): Promise<void> => {
    const memory = process.memoryUsage();
    const samples: Sample[] = [
      ['nodejs_heap_size_used_bytes', {}, memory.heapUsed],
      ['nodejs_heap_size_total_bytes', {}, memory.heapTotal],
      ['process_resident_memory_bytes', {}, memory.rss],
      ['imageforge_sync_waiters', {}, deps.metrics.syncWaiters()],
    ];
    // Lanes, never owners: a label per key would grow without bound and name callers.
    for (const { queue, lane, counts } of await deps.metrics.queueJobCounts()) {
      for (const [state, count] of Object.entries(counts)) samples.push(['imageforge_queue_jobs', { queue, lane, state }, count]);
    }
    for (const { event, queue, lane, count } of (await deps.metrics.eventCounts?.()) ?? []) samples.push(['imageforge_job_events_total', { event, queue, lane }, count]);
    res.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
    res.end(render(samples));
  };
}

function render(samples: Sample[]): string {
  const lines: string[] = [];
  let previous = '';
  for (const [name, labels, value] of samples) {
    if (name !== previous) lines.push(`# HELP ${name} ${HELP[name] ?? ''}`, `# TYPE ${name} ${COUNTERS.has(name) ? 'counter' : 'gauge'}`);
    previous = name;
    const text = Object.entries(labels)
      .map(([key, label]) => `${key}="${label.replace(/["\\\n]/g, '_')}"`)
      .join(',');
    lines.push(`${name}${text ? `{${text}}` : ''} ${value}`);
  }
  return `${lines.join('\n')}\n`;
}
