import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AuthenticationError } from '@imageforge/contracts';
import { API_SCOPES, type ApiPrincipal } from '@imageforge/tenancy';

const digestOf = (key: string): Buffer => createHash('sha256').update(key).digest();

/** Owner id stored with jobs: a hash, so no key ever reaches Redis. */
export function ownerOf(key: string): string {
  return digestOf(key).toString('hex');
}

export const ANONYMOUS_OWNER = 'anonymous';

/**
 * Bearer auth against configured keys. Keys are compared as sha256 digests with
 * timingSafeEqual, so neither content nor length leaks through timing.
 * With no keys configured (loopback-only mode) every caller is the anonymous owner.
 */
export function createAuthMiddleware(keys: readonly string[]) {
  const digests = keys.map(digestOf);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (digests.length === 0) {
      res.locals.owner = ANONYMOUS_OWNER;
      res.locals.principal = { owner: ANONYMOUS_OWNER, keyId: 'anonymous', scopes: API_SCOPES, limits: {} } satisfies ApiPrincipal;
      return next();
    }
    const header = req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1]) {
      return next(
        new AuthenticationError(
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        ),
      );
    }
    const presented = digestOf(match[1].trim());
    let matched = false;
    for (const digest of digests) matched = timingSafeEqual(digest, presented) || matched;
    if (!matched) {
      return next(new AuthenticationError('Incorrect API key provided.', { code: 'invalid_api_key' }));
    }
    // The digest just compared is ownerOf(key) in bytes: one hash per request, not two.
    res.locals.owner = presented.toString('hex');
    res.locals.principal = { owner: res.locals.owner, keyId: 'static', scopes: API_SCOPES, limits: {} } satisfies ApiPrincipal;
    next();
  };
}
