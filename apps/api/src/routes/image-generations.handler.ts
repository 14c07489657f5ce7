import type { Request, Response } from 'express';
import { InvalidRequestError } from '@imageforge/contracts';
import type { ApiDeps } from '../api-deps';
import { answerSubmission } from './submission-response';

/** POST /v1/images/generations (JSON). */
export function imageGenerationsHandler(deps: ApiDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    if (!req.is('application/json')) {
      throw new InvalidRequestError("Invalid Content-Type header (expected 'application/json').", { code: 'invalid_content_type' });
    }
    await answerSubmission(req, res, deps, deps.requests.generation(jsonObjectBody(req.body)));
  };
}

/** OpenAI answers a body that is JSON but not an object (an array, a number) as a bad request. */
export function jsonObjectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequestError('The request body must be a JSON object.', { code: 'invalid_type' });
  }
  return body as Record<string, unknown>;
}
