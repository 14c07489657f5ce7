import type { NextFunction, Request, Response } from 'express';
import { AuthenticationError, PermissionDeniedError } from '@imageforge/contracts';
import { sendError } from './dashboard-errors';
import { readCookie, SESSION_COOKIE, type DashboardSession, type SessionSigner } from './session-cookie';

/**
 * Sessions logged out in this process. A signed cookie stays valid elsewhere until it expires; logout
 * also clears it in the browser, and rotating ADMIN_KEY ends every session everywhere.
 */
export class SessionRevocations {
  private readonly revoked = new Map<string, number>();

  constructor(private readonly signer: SessionSigner) {}

  revoke(session: DashboardSession): void {
    const now = Date.now();
    for (const [id, expiresAt] of this.revoked) if (expiresAt <= now) this.revoked.delete(id);
    this.revoked.set(session.id, session.expiresAt);
  }

  /** The request's live session, or null. */
  sessionOf(req: Request): DashboardSession | null {
    const session = this.signer.verify(readCookie(req.headers.cookie, SESSION_COOKIE));
    return session && !this.revoked.has(session.id) ? session : null;
  }
}

/** The session the gate found; set on every request past it. */
export function sessionOfResponse(res: Response): DashboardSession {
  return res.locals.dashboardSession as DashboardSession;
}

/** Nothing past this answers without a session: pages redirect to the login form, the JSON API says 401. */
export function sessionGate(revocations: SessionRevocations) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const session = revocations.sessionOf(req);
    if (session) {
      res.locals.dashboardSession = session;
      return next();
    }
    if (req.method === 'GET' && !req.path.startsWith('/api/')) return res.redirect(303, `${req.baseUrl}/login`);
    sendError(res, new AuthenticationError('Log in to the dashboard first.', { code: 'dashboard_session_required' }));
  };
}

/** Every POST past the gate carries the session's CSRF token (header `x-csrf-token` or form field `_csrf`). */
export function csrfCheck(signer: SessionSigner) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'POST') return next();
    const session = sessionOfResponse(res);
    const candidate = req.header('x-csrf-token') ?? (req.body as Record<string, unknown> | undefined)?._csrf;
    if (signer.checkCsrf(session, candidate)) return next();
    sendError(res, new PermissionDeniedError('Missing or wrong CSRF token; reload the dashboard.', { code: 'csrf_token_invalid' }));
  };
}
