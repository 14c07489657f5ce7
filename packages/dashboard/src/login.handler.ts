import express, { type Request, type Response, type Router } from 'express';
import { LoginLimiter } from './login-limiter';
import { loginPage } from './dashboard-pages';
import { readCookie, safeEqual, SESSION_COOKIE, sessionCookieHeader, type SessionSigner } from './session-cookie';
import type { DashboardLogger } from './dashboard-errors';
import type { SessionRevocations } from './session-gate.middleware';

export interface LoginRoutesOptions {
  adminKey: string;
  signer: SessionSigner;
  revocations: SessionRevocations;
  sessionTtlMs: number;
  limiter: LoginLimiter;
  logger: DashboardLogger;
}

export const mountBase = (req: Request) => `${req.baseUrl}/`;
const cookiePath = (req: Request) => req.baseUrl || '/';

/** GET/POST /login and POST /logout; the only routes besides the login CSS that answer without a session. */
export function addLoginRoutes(router: Router, options: LoginRoutesOptions): void {
  const { signer, limiter, logger } = options;
  const page = (res: Response, status: number, html: string) => res.status(status).type('html').setHeader('cache-control', 'no-store').send(html);

  router.get('/login', (req, res) => {
    if (options.revocations.sessionOf(req)) return res.redirect(303, mountBase(req));
    page(res, 200, loginPage(mountBase(req)));
  });

  router.post('/login', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => {
    const address = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    if (!limiter.attempt(address)) {
      res.setHeader('retry-after', String(limiter.retryAfterSeconds(address)));
      logger.warn({ address }, 'dashboard login rate limited');
      return page(res, 429, loginPage(mountBase(req), 'Too many login attempts from this address. Wait a minute and try again.'));
    }
    const key: unknown = req.body?.key;
    if (typeof key !== 'string' || !safeEqual(key, options.adminKey)) {
      logger.warn({ address }, 'dashboard login refused');
      return page(res, 401, loginPage(mountBase(req), 'That is not the admin key.'));
    }
    const { cookie } = signer.issue();
    res.setHeader('set-cookie', sessionCookieHeader(cookie, { path: cookiePath(req), maxAgeSeconds: Math.floor(options.sessionTtlMs / 1000), secure: req.secure }));
    logger.info({ address }, 'dashboard login');
    res.redirect(303, mountBase(req));
  });
}

/** Mounted behind the session gate and the CSRF check: only a page of this dashboard can log out. */
export function logoutHandler(options: Pick<LoginRoutesOptions, 'signer' | 'revocations'>) {
  return (req: Request, res: Response) => {
    const session = options.signer.verify(readCookie(req.headers.cookie, SESSION_COOKIE));
    if (session) options.revocations.revoke(session);
    res.setHeader('set-cookie', sessionCookieHeader('', { path: cookiePath(req), maxAgeSeconds: 0, secure: req.secure }));
    res.redirect(303, `${mountBase(req)}login`);
  };
}
