import {
  COUNTED_EVENTS,
  isDeadlineExceededReason,
  JOB_LANES,
  type CountedEvent,
  type EventCount,
  type EventCounters,
  type JobCatalog,
  type JobLane,
  type JobSettledHook,
} from '@imageforge/jobs';
import { modelQueueOf } from './lane-queues';
import { DEFAULT_QUEUE_PREFIX } from './queue-keys';
import type { RedisClient } from './redis-connection';

/** EventCounters in one Redis hash, `<prefix>:{counters}:job-events`, one field per event, queue and lane. */
export class RedisEventCounters implements EventCounters {
  private readonly key: string;

  constructor(private readonly options: { redis: RedisClient; prefix?: string }) {
    this.key = `${options.prefix ?? DEFAULT_QUEUE_PREFIX}:{counters}:job-events`;
  }

  async increment(event: CountedEvent, labels: { queue: string; lane: JobLane }): Promise<void> {
    await this.options.redis.hincrby(this.key, `${event}|${labels.queue}|${labels.lane}`, 1);
  }

  async read(): Promise<EventCount[]> {
    const fields = await this.options.redis.hgetall(this.key);
    const counts: EventCount[] = [];
    for (const [field, value] of Object.entries(fields)) {
      const [event, queue, lane] = field.split('|');
      // Fields of a newer deploy's events or lanes are skipped rather than mislabelled.
      if (!COUNTED_EVENTS.includes(event as CountedEvent) || !JOB_LANES.includes(lane as JobLane) || !queue) continue;
      counts.push({ event: event as CountedEvent, queue, lane: lane as JobLane, count: Number(value) });
    }
    return counts;
  }
}

/**
 * Counts expired and deadline-exceeded endings as workers settle them, by model queue and lane.
 * A settled hook re-runs after a crash, so a count may come twice: a metric, not a ledger.
 */
export function deadlineEndingCounter<C extends JobCatalog>(counters: Pick<EventCounters, 'increment'>): JobSettledHook<C> {
  return async ({ queue, payload, outcome }) => {
    const event = outcome.status === 'expired' ? 'expired' : outcome.status === 'failed' && isDeadlineExceededReason(outcome.reason) ? 'deadline_exceeded' : undefined;
    if (!event) return;
    // A lane worker settles under its lane queue's name (`images-async`); counts name the model queue.
    const lane = (payload as { lane?: JobLane }).lane ?? 'interactive';
    await counters.increment(event, { queue: modelQueueOf(queue, lane), lane });
  };
}
