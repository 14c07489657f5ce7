import { createHash } from 'node:crypto';
import { UpstreamLimiter, type LimiterClock, type UpstreamLimits } from './upstream-limiter';

interface Entry {
  limiter: UpstreamLimiter;
  users: number;
}

/**
 * One limiter per upstream (base URL + key) in this process, shared by every engine naming
 * it: two registry entries for two models of one OpenAI key draw on one limit. The key is
 * held as its digest only. Entries that set a limit must agree on it, since which one
 * applies would otherwise depend on load order.
 */
export class UpstreamLimiterRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock?: LimiterClock) {}

  /** The upstream's limiter, created on first use; pair every call with `release`. */
  acquire(baseUrl: string, apiKey: string | undefined, limits: UpstreamLimits): UpstreamLimiter {
    const id = upstreamId(baseUrl, apiKey);
    const entry = this.entries.get(id);
    if (!entry) {
      const limiter = new UpstreamLimiter(limits, this.clock);
      this.entries.set(id, { limiter, users: 1 });
      return limiter;
    }
    const merged = mergeLimits(baseUrl, entry.limiter.limits, limits);
    if (merged !== entry.limiter.limits) {
      // The first user set no limit that a later one sets: the limiter is rebuilt only while idle.
      const { active, waiting } = entry.limiter.load();
      if (active + waiting > 0) throw new Error(`upstream ${baseUrl} is in use; its limits cannot change now`);
      entry.limiter = new UpstreamLimiter(merged, this.clock);
    }
    entry.users += 1;
    return entry.limiter;
  }

  release(baseUrl: string, apiKey: string | undefined): void {
    const id = upstreamId(baseUrl, apiKey);
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.users -= 1;
    if (entry.users <= 0) this.entries.delete(id);
  }
}

/** The process's registry, which the engine factory's engines share. */
export const sharedUpstreamLimiters = new UpstreamLimiterRegistry();

function upstreamId(baseUrl: string, apiKey: string | undefined): string {
  return `${baseUrl}\n${apiKey === undefined ? '-' : createHash('sha256').update(apiKey).digest('hex')}`;
}

function mergeLimits(baseUrl: string, held: UpstreamLimits, wanted: UpstreamLimits): UpstreamLimits {
  let changed = false;
  const merged: UpstreamLimits = { ...held };
  for (const name of ['maxConcurrency', 'requestsPerMinute'] as const) {
    const [a, b] = [held[name], wanted[name]];
    if (b === undefined || a === b) continue;
    if (a !== undefined) {
      throw new Error(`engine entries for upstream ${baseUrl} with the same key set ${name} to both ${a} and ${b}; give them one value`);
    }
    merged[name] = b;
    changed = true;
  }
  return changed ? merged : held;
}
