import type { NextFunction, Request, Response } from 'express';
import { assertScope, type ApiPrincipal, type ApiScope } from '@imageforge/tenancy';

/**
 * Placed first on a route, before its body is read: a key without `scope` gets the 403
 * before an upload streams anywhere. On the route itself rather than matched by path
 * beforehand, so it follows the router's own matching (case, trailing slash) exactly.
 */
export function requireScope(scope: ApiScope) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    try {
      assertScope(res.locals.principal as ApiPrincipal, scope);
      next();
    } catch (error) {
      next(error);
    }
  };
}
