import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AuthenticationError } from '@imageforge/contracts';
import { API_SCOPES, type ApiKeyService, type ApiPrincipal } from '@imageforge/tenancy';

const digestOf = (key: string): Buffer => createHash('sha256').update(key).digest();

/** Owner id stored with jobs: a hash, so no key ever reaches Redis. */
export function ownerOf(key: string): string {
  return digestOf(key).toString('hex');
}

export const ANONYMOUS_OWNER = 'anonymous';

/**
 * Bearer auth: static keys from API_KEYS first, compared as sha256 digests with timingSafeEqual
 * (neither content nor length leaks through timing) and with no Redis, so they keep working
 * through an outage; then managed keys, looked up in Redis (a lookup that fails is the 503 of
 * an unreachable Redis, never a way in). With neither configured (loopback-only mode) every
 * caller is the anonymous owner.
 */
export function createAuthMiddleware(keys: readonly string[], managed?: Pick<ApiKeyService, 'principalFor'>) {
  const digests = keys.map(digestOf);
  const accept = (res: Response, principal: ApiPrincipal) => {
    res.locals.owner = principal.owner;
    res.locals.principal = principal;
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    if (digests.length === 0 && !managed) {
      accept(res, { owner: ANONYMOUS_OWNER, keyId: 'anonymous', scopes: API_SCOPES, limits: {} });
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
    const key = match[1].trim();
    const presented = digestOf(key);
    let matched = false;
    for (const digest of digests) matched = timingSafeEqual(digest, presented) || matched;
    if (matched) {
      // The digest just compared is ownerOf(key) in bytes: one hash per request, not two.
      accept(res, { owner: presented.toString('hex'), keyId: 'static', scopes: API_SCOPES, limits: {} });
      return next();
    }
    if (!managed) return next(incorrectKey());
    managed.principalFor(key).then((principal) => {
      if (!principal) return next(incorrectKey());
      accept(res, principal);
      next();
    }, next);
  };
}

function incorrectKey(): AuthenticationError {
  return new AuthenticationError('Incorrect API key provided.', { code: 'invalid_api_key' });
}
