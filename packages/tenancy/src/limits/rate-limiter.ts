import type { RateLimitError } from '@imageforge/contracts';
import { DEFAULT_QUEUE_PREFIX, type RedisClient } from '@imageforge/queue';
import type { KeyLimits } from '../principal';
import { limitKeys } from './limit-keys';
import { ADMIT_SCRIPT, REQUEST_SCRIPT } from './limit-scripts';
import { LuaScript } from './lua-script';
import { concurrentJobsLimited, imagesLimited, imagesRequestTooLarge, quotaExceeded, requestsLimited, windowHeaders, type WindowState } from './rate-limit-answers';

export interface RateLimiterOptions {
  redis: RedisClient;
  /** QUEUE_PREFIX; counters live under `<prefix>:{limits:<owner>}`. Default `bull`. */
  prefix?: string;
  /** The server's defaults; a key's own limits override them field by field, and a limit absent from both is no limit. */
  defaults?: KeyLimits;
  /** How long a job holds its concurrency slot when nothing releases it (its worker was lost). Default 1 h. */
  jobLeaseMs?: number;
  /** Unix milliseconds, for tests; absent: Redis's TIME, the one clock every process shares. */
  now?: () => number;
}

/** The answer to one check: headers for the response, and the 429 to throw when refused. */
export interface LimitCheck {
  headers: Record<string, string>;
  refusal?: RateLimitError;
}

export interface RequestCheck extends LimitCheck {
  requests: WindowState;
  /** Requests counted in the window, this one included when allowed. */
  used: number;
  /** 0 when allowed; else how long until one request fits. */
  retryAfterMs: number;
}

export interface JobCheck extends LimitCheck {
  verdict: 'ok' | 'images' | 'too_large' | 'quota' | 'jobs';
  /** Set when images per minute apply. */
  images?: WindowState;
  /** Images counted today (UTC) when the daily quota applies: with this job's when admitted, before it when refused. */
  imagesToday?: number;
  /** The key's jobs holding a slot when concurrency applies. */
  jobSlots?: number;
  retryAfterMs: number;
}

/**
 * Per-key limits counted in Redis and shared by every API process: requests per minute for
 * every authenticated call, and for each new image job its images per minute, the day's image
 * quota and a concurrency slot, held until the job settles (released by the worker's settled
 * hook or the API's cancel) or its lease runs out.
 */
export class RateLimiter {
  private readonly prefix: string;
  private readonly defaults: KeyLimits;
  private readonly leaseMs: number;
  private readonly requestScript = new LuaScript(REQUEST_SCRIPT);
  private readonly admitScript = new LuaScript(ADMIT_SCRIPT);

  constructor(private readonly options: RateLimiterOptions) {
    this.prefix = options.prefix ?? DEFAULT_QUEUE_PREFIX;
    this.defaults = options.defaults ?? {};
    this.leaseMs = options.jobLeaseMs ?? 3_600_000;
  }

  /** A key's limits: its own where set, the server's defaults elsewhere. */
  limitsFor(overrides: KeyLimits): KeyLimits {
    const merged: KeyLimits = {};
    for (const field of ['requestsPerMinute', 'imagesPerMinute', 'concurrentJobs', 'dailyImages'] as const) {
      const value = overrides[field] ?? this.defaults[field];
      if (value !== undefined) merged[field] = value;
    }
    return merged;
  }

  /** Counts one request; undefined when the key has no request limit (nothing was asked of Redis). */
  async checkRequest(owner: string, limits: KeyLimits): Promise<RequestCheck | undefined> {
    const limit = limits.requestsPerMinute;
    if (limit === undefined) return undefined;
    const reply = (await this.requestScript.run(this.options.redis, [limitKeys(this.prefix, owner).requests], [this.clock(), limit])) as [number, number, string, string];
    const [allowed, used, reset, retry] = reply;
    const retryAfterMs = Number(retry);
    const requests: WindowState = { limit, remaining: allowed === 1 ? Math.max(0, limit - used) : 0, resetMs: Number(reset) };
    if (allowed === 1) return { headers: windowHeaders('requests', requests), requests, used, retryAfterMs: 0 };
    const refusal = requestsLimited(requests, used, retryAfterMs);
    return { headers: refusal.headers, refusal, requests, used, retryAfterMs };
  }

  /**
   * Admits a new job of `images` images against images per minute, the daily quota and the
   * concurrency limit, all in one script: a refusal takes nothing. Undefined when none applies.
   */
  async admitJob(owner: string, limits: KeyLimits, job: { jobId: string; images: number }): Promise<JobCheck | undefined> {
    const { imagesPerMinute, dailyImages, concurrentJobs } = limits;
    if (imagesPerMinute === undefined && dailyImages === undefined && concurrentJobs === undefined) return undefined;
    if (imagesPerMinute !== undefined && job.images > imagesPerMinute) {
      const refusal = imagesRequestTooLarge(imagesPerMinute, job.images);
      return { verdict: 'too_large', headers: refusal.headers, refusal, retryAfterMs: 0 };
    }
    const keys = limitKeys(this.prefix, owner);
    const args = [this.clock(), imagesPerMinute ?? 0, job.images, dailyImages ?? 0, concurrentJobs ?? 0, job.jobId, this.leaseMs];
    const reply = (await this.admitScript.run(this.options.redis, [keys.images, keys.dailyImages, keys.jobSlots], args)) as [JobCheck['verdict'], number, string, string, number?, number?];
    const [verdict, used, reset, retry] = reply;
    const retryAfterMs = Number(retry);
    if (verdict === 'images') {
      const images: WindowState = { limit: imagesPerMinute!, remaining: 0, resetMs: Number(reset) };
      const refusal = imagesLimited(images, used, job.images, retryAfterMs);
      return { verdict, images, headers: refusal.headers, refusal, retryAfterMs };
    }
    if (verdict === 'quota') {
      const refusal = quotaExceeded();
      return { verdict, imagesToday: used, headers: refusal.headers, refusal, retryAfterMs: 0 };
    }
    if (verdict === 'jobs') {
      const refusal = concurrentJobsLimited(concurrentJobs!, used);
      return { verdict, jobSlots: used, headers: refusal.headers, refusal, retryAfterMs: 0 };
    }
    const check: JobCheck = { verdict, headers: {}, retryAfterMs: 0 };
    if (imagesPerMinute !== undefined) {
      check.images = { limit: imagesPerMinute, remaining: Math.max(0, imagesPerMinute - used), resetMs: Number(reset) };
      check.headers = windowHeaders('images', check.images);
    }
    if (dailyImages !== undefined) check.imagesToday = reply[4];
    if (concurrentJobs !== undefined) check.jobSlots = reply[5];
    return check;
  }

  /** Gives back a job's concurrency slot; a job that held none is a no-op. */
  async releaseJob(owner: string, jobId: string): Promise<void> {
    await releaseJobSlot(this.options.redis, this.prefix, owner, jobId);
  }

  private clock(): string {
    return this.options.now ? String(this.options.now()) : '';
  }
}

/** The release alone, for processes that settle jobs but check no limits (workers). */
export async function releaseJobSlot(redis: RedisClient, prefix: string, owner: string, jobId: string): Promise<void> {
  await redis.zrem(limitKeys(prefix, owner).jobSlots, jobId);
}
