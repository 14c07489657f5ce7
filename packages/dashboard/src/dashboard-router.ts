import { dirname, join } from 'node:path';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { ForwardedApiError, InternalError, NotFoundError } from '@imageforge/contracts';
import type { OpsActions, OpsReader } from '@imageforge/ops';
import { dashboardActionsRouter } from './dashboard-actions.handler';
import { dashboardApiRouter } from './dashboard-api.handler';
import { sendError, type DashboardLogger } from './dashboard-errors';
import { dashboardPage, WEB_DIR } from './dashboard-pages';
import { LiveFeed } from './live-feed.service';
import { LoginLimiter } from './login-limiter';
import { addLoginRoutes, logoutHandler, mountBase } from './login.handler';
import { csrfCheck, SessionRevocations, sessionGate, sessionOfResponse } from './session-gate.middleware';
import { SessionSigner } from './session-cookie';

export interface DashboardOptions {
  reader: OpsReader;
  actions: OpsActions;
  /** The login password; sessions are signed with a key derived from it. */
  adminKey: string;
  /** Hides the action buttons and answers 403 to action POSTs. */
  readOnly: boolean;
  logger: DashboardLogger;
  /** How often the live stream re-reads the overview; one timer per router. */
  liveIntervalMs?: number;
  sessionTtlMs?: number;
  /** Login attempts per client address per minute. */
  loginAttemptsPerMinute?: number;
}

export interface DashboardRouter extends Router {
  /** Ends the open live streams and stops the timer. */
  closeDashboard(): void;
}

const UPLOT_DIR = dirname(require.resolve('uplot/dist/uPlot.esm.js'));

/** The ops dashboard, to mount at /dashboard: login, the page and its static files, JSON, SSE and actions. */
export function createDashboardRouter(options: DashboardOptions): DashboardRouter {
  const sessionTtlMs = options.sessionTtlMs ?? 12 * 3600_000;
  const signer = new SessionSigner(options.adminKey, sessionTtlMs);
  const revocations = new SessionRevocations(signer);
  const feed = new LiveFeed({ reader: options.reader, intervalMs: options.liveIntervalMs ?? 2000, logger: options.logger });
  const router = Router() as DashboardRouter;
  router.closeDashboard = () => feed.close();

  router.use((_req, res, next) => {
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'same-origin');
    next();
  });
  addLoginRoutes(router, { adminKey: options.adminKey, signer, revocations, sessionTtlMs, limiter: new LoginLimiter(options.loginAttemptsPerMinute ?? 5, 60_000), logger: options.logger });
  router.get('/static/login.css', (_req, res) => res.sendFile(join(WEB_DIR, 'login.css')));

  router.use(sessionGate(revocations));
  router.use(express.json({ limit: '16kb' }), express.urlencoded({ extended: false, limit: '4kb' }));
  router.use(csrfCheck(signer));

  router.get('/', (req, res) => {
    // Links in the page are relative to the mount path, which needs the trailing slash.
    if (!req.originalUrl.split('?')[0]!.endsWith('/')) return res.redirect(301, mountBase(req));
    res.setHeader('cache-control', 'no-store');
    res.setHeader('content-security-policy', "default-src 'self'; img-src 'self' data: https: http:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'");
    res.type('html').send(dashboardPage(mountBase(req), signer.csrfToken(sessionOfResponse(res)), options.readOnly));
  });
  router.post('/logout', logoutHandler({ signer, revocations }));
  router.use('/static/uplot', express.static(UPLOT_DIR, { index: false, fallthrough: false }));
  router.use('/static', express.static(WEB_DIR, { index: false, fallthrough: false }));
  router.use('/api/actions', dashboardActionsRouter(options.actions, { readOnly: options.readOnly, logger: options.logger }));
  router.use('/api', dashboardApiRouter(options.reader, feed));
  router.use('/api', (_req, res) => sendError(res, new NotFoundError('No such dashboard endpoint.', { code: 'not_found' })));

  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const status = typeof (error as { status?: unknown })?.status === 'number' ? (error as { status: number }).status : 500;
    if (status >= 400 && status < 500) return sendError(res, new ForwardedApiError(status, 'invalid_request_error', error instanceof Error ? error.message : 'Bad request.', { code: (error as { code?: string }).code ?? 'invalid_request' }));
    options.logger.error({ err: error, path: req.path }, 'dashboard request failed');
    sendError(res, new InternalError('The dashboard could not read the queues; see the API log.', { code: 'dashboard_error' }));
  });
  return router;
}
