import type { Response } from 'express';
import { toImageCompletedEvents } from '@imageforge/contracts';
import type { ImageRequest, JobAdmission } from '@imageforge/image-service';
import type { ApiDeps } from '../api-deps';
import { answerFor } from '../middleware/error-handler.middleware';
import { createSseWriter } from './sse-writer';
import { callerHangup } from './caller-hangup';

type StreamedRequest = Extract<ImageRequest, { operation: 'generation' | 'edit' }>;

/** `stream: true` on a GPT image model: the request asks for server-sent events. */
export function isStreamRequest(request: ImageRequest): request is StreamedRequest {
  return request.operation !== 'variation' && request.params.stream === true;
}

/**
 * Answers a `stream: true` request as OpenAI does: `text/event-stream`, a frame per
 * preview as the worker stores it, then one `*.completed` frame per image from the
 * job's outcome (never from the event stream, which a slow reader may have missed
 * parts of). Until the job is queued, errors are ordinary JSON answers; after that a
 * failure is one `data: {"error": …}` frame, which the SDK raises as an APIError.
 */
export async function answerStream(
  res: Response,
  deps: ApiDeps,
  request: StreamedRequest,
  ctx: { owner: string; idempotencyKey?: string; webhookUrl?: string; queueWaitMs?: number },
): Promise<void> {
  // A caller that hangs up stops only its stream; the job runs on and stays pollable (CANCEL_ABANDONED_SYNC_JOBS spares streams).
  const hangup = callerHangup(res);
  const sse = createSseWriter(res);
  const open = (jobId: string) => sse.open({ 'x-job-id': jobId });
  const write = sse.write;
  const event = (data: { type: string }) => sse.event(data.type, data);

  let outcome;
  try {
    outcome = await deps.submissions.submit(
      request,
      {
        requestId: String(res.locals.requestId),
        owner: ctx.owner,
        signal: hangup,
        ...(ctx.idempotencyKey ? { idempotencyKey: ctx.idempotencyKey } : {}),
        ...(ctx.webhookUrl ? { webhookUrl: ctx.webhookUrl } : {}),
        ...(ctx.queueWaitMs !== undefined ? { queueWaitMs: ctx.queueWaitMs } : {}),
        stream: { onStarted: open, onPartial: event },
        admission: res.locals.admission as JobAdmission | undefined,
      },
      { kind: 'sync', timeoutMs: deps.limits.syncTimeoutMs },
    );
  } catch (error) {
    if (!res.headersSent) throw error;
    const apiError = answerFor(error, deps.logger, { requestId: res.locals.requestId, stream: 'images' });
    await write(`data: ${JSON.stringify(apiError.toBody())}\n\n`);
    res.end();
    return;
  }
  open(outcome.jobId);
  if (outcome.kind === 'completed') {
    for (const completed of toImageCompletedEvents(request.operation, outcome.response)) await event(completed);
  }
  res.end();
}
