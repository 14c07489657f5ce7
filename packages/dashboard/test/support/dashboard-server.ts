import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createDashboardRouter, type DashboardOptions, type DashboardRouter } from '../../src';
import { RecordingOps } from './recording-ops';

export const ADMIN_KEY = 'dashboard-test-admin-key-0123456789';

export interface DashboardServer {
  url: string;
  ops: RecordingOps;
  router: DashboardRouter;
  httpServer: Server;
  close(): Promise<void>;
}

const quietLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** An express app with only the dashboard router, on a free port of a real HTTP server. */
export async function startDashboardServer(options: Partial<DashboardOptions> = {}, app = express()): Promise<DashboardServer> {
  const ops = new RecordingOps();
  const router = createDashboardRouter({ reader: ops.reader, actions: ops.actions, adminKey: ADMIN_KEY, readOnly: false, logger: quietLogger, liveIntervalMs: 100, ...options });
  app.use('/dashboard', router);
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ops,
    router,
    httpServer: server,
    async close() {
      router.closeDashboard();
      server.closeAllConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Logs in with the form and returns the session cookie and the page's CSRF token. */
export async function logIn(url: string, key = ADMIN_KEY): Promise<{ cookie: string; setCookie: string; csrf: string }> {
  const response = await fetch(`${url}/dashboard/login`, { method: 'POST', body: new URLSearchParams({ key }), redirect: 'manual' });
  if (response.status !== 303) throw new Error(`login answered ${response.status}`);
  const setCookie = response.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0]!;
  const page = await (await fetch(`${url}/dashboard/`, { headers: { cookie } })).text();
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(page)?.[1];
  if (!csrf) throw new Error('no CSRF token on the page');
  return { cookie, setCookie, csrf };
}

export function post(url: string, path: string, body: unknown, headers: Record<string, string>): Promise<Response> {
  return fetch(`${url}/dashboard${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), redirect: 'manual' });
}

/** A response body as loosely typed JSON, for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = (response: Response): Promise<any> => response.json() as Promise<any>;
