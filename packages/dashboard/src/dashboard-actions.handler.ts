import { Router, type Request, type Response } from 'express';
import { InvalidRequestError, PermissionDeniedError } from '@imageforge/contracts';
import type { z } from 'zod';
import type { OpsActions } from '@imageforge/ops';
import { cleanActionSchema, describeIssues, jobActionSchema, queueActionSchema } from './dashboard-inputs.schema';
import { sendError, type DashboardLogger } from './dashboard-errors';
import { sessionOfResponse } from './session-gate.middleware';

/** The name an action is logged under: the session, never the key. */
const whoOf = (res: Response) => `dashboard:${sessionOfResponse(res).id.slice(0, 8)}`;

/** The write side: POST /api/actions/*. Mounted behind the session gate and the CSRF check. */
export function dashboardActionsRouter(actions: OpsActions, options: { readOnly: boolean; logger: DashboardLogger }): Router {
  const router = Router();
  router.use((_req, res, next) => {
    if (options.readOnly) return sendError(res, new PermissionDeniedError('The dashboard is read-only (DASHBOARD_READ_ONLY=true).', { code: 'dashboard_read_only' }));
    next();
  });

  function action<S extends z.ZodType>(name: string, schema: S, run: (input: z.infer<S>, who: string) => Promise<number>) {
    router.post(`/${name}`, async (req: Request, res: Response) => {
      const parsed = schema.safeParse(req.body ?? {});
      if (!parsed.success) return sendError(res, new InvalidRequestError(`Bad ${name} request: ${describeIssues(parsed.error)}`, { code: 'invalid_action' }));
      const who = whoOf(res);
      const affected = await run(parsed.data, who);
      options.logger.info({ action: name, input: parsed.data, who, affected }, 'dashboard action');
      res.json({ action: name, affected });
    });
  }

  action('pause', queueActionSchema, (target, who) => actions.pause(target, who));
  action('resume', queueActionSchema, (target, who) => actions.resume(target, who));
  action('drain', queueActionSchema, (target, who) => actions.drain(target, who));
  action('retry', jobActionSchema, (input, who) => ('jobId' in input ? actions.retryJob(input.jobId, who) : actions.retryFailed(input.filter, who)));
  action('cancel', jobActionSchema, (input, who) => ('jobId' in input ? actions.cancelJob(input.jobId, who) : actions.cancelMatching(input.filter, who)));
  action('clean', cleanActionSchema, ({ queue, lane, state, olderThanMs }, who) => actions.clean(lane ? { queue, lane } : { queue }, state, olderThanMs, who));
  return router;
}
