import type { Request, Response } from 'express';
import type { ApiDeps } from '../api-deps';
import { answerFor } from '../middleware/error-handler.middleware';
import { createSseWriter } from './sse-writer';
import { callerHangup } from './caller-hangup';

/** Proxies close idle streams; a comment line every so often keeps this one open. */
const KEEP_ALIVE_MS = 15_000;

/**
 * GET /v1/images/jobs/:id/events — the job as server-sent events: its current object,
 * then `queued`/`started`/`progress` (and `partial_image` with `?partial_images=true`),
 * then one final `completed`/`failed`/`cancelled` frame carrying the job object, and the
 * end. `id:` counts frames on this connection only: a reconnect (`Last-Event-ID`) starts
 * from the current state, so an ending is never lost while missed progress is not replayed.
 */
export function imageJobEventsHandler(deps: ApiDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const hangup = callerHangup(res);
    const sse = createSseWriter(res);
    let frames = 0;
    let keepAlive: NodeJS.Timeout | undefined;
    try {
      await deps.jobWatches.watch({
        jobId: String(req.params.id),
        owner: String(res.locals.owner),
        partialImages: req.query.partial_images === 'true',
        signal: hangup,
        send: (frame) => {
          if (!keepAlive) {
            sse.open();
            keepAlive = setInterval(() => void sse.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
          }
          frames += 1;
          return sse.event(frame.event, frame.data, frames);
        },
      });
    } catch (error) {
      if (!res.headersSent) throw error;
      const apiError = answerFor(error, deps.logger, { requestId: res.locals.requestId, stream: 'job events' });
      await sse.write(`event: error\ndata: ${JSON.stringify(apiError.toBody())}\n\n`);
    } finally {
      clearInterval(keepAlive);
    }
    res.end();
  };
}
