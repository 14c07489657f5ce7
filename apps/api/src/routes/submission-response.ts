import type { Request, Response } from 'express';
import type { ImageRequest, JobAdmission } from '@imageforge/image-service';
import type { ApiDeps } from '../api-deps';
import { InvalidRequestError } from '@imageforge/contracts';
import { answerStream, isStreamRequest } from './image-stream-response';
import { sendJson } from './json-response';
import { submitModeFrom } from './prefer-header';
import { webhookUrlOf } from './webhook-url-param';
import { callerHangup } from './caller-hangup';
import { queueWaitMsFrom } from './deadline-header';

/**
 * Shared tail of the three image endpoints: pick sync/async from `Prefer`, submit the
 * validated request, answer 200 with OpenAI's body or 202 with the job object.
 */
export async function answerSubmission(req: Request, res: Response, deps: ApiDeps, request: ImageRequest): Promise<void> {
  const mode = submitModeFrom(req.header('prefer'), deps.limits.syncTimeoutMs);
  const queueWaitMs = queueWaitMsFrom(req.header('x-deadline-ms'));
  // An explicit `Prefer` for a 202 wins over `stream`: the caller said it will poll.
  if (mode.kind === 'sync' && isStreamRequest(request)) {
    const webhookUrl = webhookUrlOf(req, deps);
    await answerStream(res, deps, request, {
      owner: String(res.locals.owner),
      idempotencyKey: idempotencyKeyOf(req),
      ...(webhookUrl ? { webhookUrl } : {}),
      ...(queueWaitMs !== undefined ? { queueWaitMs } : {}),
    });
    return;
  }
  // A caller that hangs up stops its wait; the service cancels the job if no worker has started it (CANCEL_ABANDONED_SYNC_JOBS).
  const hangup = callerHangup(res);
  const owner = String(res.locals.owner);
  const idempotencyKey = idempotencyKeyOf(req);
  const webhookUrl = webhookUrlOf(req, deps);
  const outcome = await deps.submissions.submit(
    request,
    {
      requestId: String(res.locals.requestId),
      owner,
      signal: hangup,
      idempotencyKey,
      ...(webhookUrl ? { webhookUrl } : {}),
      ...(queueWaitMs !== undefined ? { queueWaitMs } : {}),
      admission: res.locals.admission as JobAdmission | undefined,
    },
    mode,
  );
  res.setHeader('x-job-id', outcome.jobId);
  if (outcome.kind === 'completed') {
    sendJson(res, 200, outcome.response);
    return;
  }
  // After respond-async the service already knows the job object; a wait that ran
  // out reads it back, since the job has likely started by then.
  const job = outcome.job ?? (await deps.jobs.get(outcome.jobId, owner));
  res.setHeader('location', `/v1/images/jobs/${outcome.jobId}`);
  res.setHeader('preference-applied', mode.kind === 'async' ? 'respond-async' : `wait=${Math.round(mode.kind === 'wait' ? mode.timeoutMs / 1000 : 0)}`);
  sendJson(res, 202, job);
}

/** `Idempotency-Key`: printable ASCII, 1-255 characters, as payment APIs accept it. */
function idempotencyKeyOf(req: Request): string | undefined {
  const key = req.header('idempotency-key');
  if (key === undefined) return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new InvalidRequestError('Invalid Idempotency-Key header: use 1 to 255 printable ASCII characters.', {
      code: 'invalid_idempotency_key',
    });
  }
  return key;
}
