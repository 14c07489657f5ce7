import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { JobAdmission } from '@imageforge/image-service';
import { isRedisUnavailableError } from '@imageforge/queue';
import type { ApiPrincipal, KeyLimits, RateLimiter } from '@imageforge/tenancy';

function setHeaders(res: Response, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
}

/**
 * After auth on /v1: counts the request against the key's requests per minute (its
 * `x-ratelimit-*-requests` headers go on whatever the answer turns out to be) and leaves
 * `res.locals.admission` for the image routes, which the submission asks with the job's `n`.
 * A Redis that cannot be reached lets the request through uncounted: anything it needs from
 * Redis fails on its own with the usual 503, and reads that need none keep working.
 */
export function createRateLimitMiddleware(limiter: RateLimiter | undefined, logger: Logger) {
  return async (_req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (!limiter) return next();
    const principal = res.locals.principal as ApiPrincipal;
    const limits = limiter.limitsFor(principal.limits);
    try {
      const check = await limiter.checkRequest(principal.owner, limits);
      if (check) setHeaders(res, check.headers);
      if (check?.refusal) return next(check.refusal);
    } catch (error) {
      if (!isRedisUnavailableError(error)) return next(error);
      logger.debug({ err: error }, 'rate limiter unreachable: request not counted');
    }
    res.locals.admission = jobAdmission(limiter, principal.owner, limits, res);
    next();
  };
}

function jobAdmission(limiter: RateLimiter, owner: string, limits: KeyLimits, res: Response): JobAdmission | undefined {
  if (limits.imagesPerMinute === undefined && limits.dailyImages === undefined && limits.concurrentJobs === undefined) return undefined;
  return {
    async admit(job) {
      const check = await limiter.admitJob(owner, limits, job);
      if (check) setHeaders(res, check.headers);
      if (check?.refusal) throw check.refusal;
      return { withdraw: () => limiter.releaseJob(owner, job.jobId) };
    },
  };
}
