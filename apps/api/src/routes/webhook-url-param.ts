import type { Request } from 'express';
import { InvalidRequestError, invalidType } from '@imageforge/contracts';
import { webhookUrlProblem } from '@imageforge/webhooks';
import type { ApiDeps } from '../api-deps';

/** Longest `webhook_url` accepted: it travels in the job's payload. */
const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * The request's own `webhook_url` (our extension to OpenAI's image endpoints), checked
 * against the allowed hosts; undefined when absent. A URL the server will not call is
 * the caller's mistake: 400 `invalid_value` on `webhook_url`.
 */
export function webhookUrlOf(req: Request, deps: Pick<ApiDeps, 'webhooks'>): string | undefined {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const value = Object.hasOwn(body, 'webhook_url') ? body.webhook_url : undefined;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidType('webhook_url', 'a string', value);
  const problem =
    value.length > MAX_WEBHOOK_URL_LENGTH
      ? `longer than ${MAX_WEBHOOK_URL_LENGTH} characters`
      : deps.webhooks
        ? webhookUrlProblem(value, deps.webhooks.urlPolicy)
        : 'this server does not deliver webhooks to request-named URLs';
  if (problem) throw new InvalidRequestError(`Invalid 'webhook_url': ${problem}.`, { param: 'webhook_url', code: 'invalid_value' });
  return value;
}
