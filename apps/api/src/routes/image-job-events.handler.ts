import type { Request, Response } from 'express';
import { InternalError } from '@imageforge/contracts';
import type { ApiDeps } from '../api-deps';
import { toApiError } from '../middleware/error-handler.middleware';
import { createSseWriter } from './sse-writer';

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
    const hangup = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) hangup.abort();
    });
    const sse = createSseWriter(res);
    let frames = 0;
    let keepAlive: NodeJS.Timeout | undefined;
    try {
      await deps.jobWatches.watch({
        jobId: String(req.params.id),
        owner: String(res.locals.owner),
        partialImages: req.query.partial_images === 'true',
        signal: hangup.signal,
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
      let apiError = toApiError(error);
      if (!apiError) {
        deps.logger.error({ err: error, requestId: res.locals.requestId }, 'job event stream failed');
        apiError = new InternalError('The server had an error while processing your request. Sorry about that!');
      }
      await sse.write(`event: error\ndata: ${JSON.stringify(apiError.toBody())}\n\n`);
    } finally {
      clearInterval(keepAlive);
    }
    res.end();
  };
}
