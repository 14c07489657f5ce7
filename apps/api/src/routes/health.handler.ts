import type { Request, Response } from 'express';
import type { ApiDeps } from '../api-deps';

/** GET /healthz: the process is up. */
export function healthzHandler(_req: Request, res: Response): void {
  res.json({ status: 'ok' });
}

/** GET /readyz: every dependency answers (Redis, storage), each within a second. */
export function readyzHandler(deps: ApiDeps) {
  return async (_req: Request, res: Response): Promise<void> => {
    const entries = await Promise.all(
      Object.entries(deps.readiness).map(async ([name, check]) => {
        try {
          await withDeadline(check(), 1_000);
          return [name, { status: 'ok' }] as const;
        } catch (error) {
          return [name, { status: 'down', error: error instanceof Error ? error.message : String(error) }] as const;
        }
      }),
    );
    const ready = entries.every(([, result]) => result.status === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks: Object.fromEntries(entries) });
  };
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
