import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import {
  ApiError,
  ClientRequestError,
  InternalError,
  InvalidRequestError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
} from '@imageforge/contracts';
import { isRedisUnavailableError } from '@imageforge/queue';
import { StorageUnavailableError } from '@imageforge/storage';
import { translateMulterError } from '../uploads/multipart-errors';

// OpenAI's answer (param and code null), as quoted verbatim in raw OpenAI error bodies published on GitHub.
const JSON_PARSE_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)";

interface HttpLikeError {
  type?: string;
  status?: number;
  statusCode?: number;
}

/**
 * The caller hung up while its body was still arriving: body-parser and multer each say
 * so their own way. Socket error codes are left out on purpose: an ECONNRESET may as well
 * come from Redis, which must stay a 503.
 */
export function isClientAbort(error: unknown): boolean {
  const e = error as { type?: unknown; message?: unknown } | null;
  return e?.type === 'request.aborted' || e?.message === 'Request aborted';
}

/** Maps anything thrown by a route or a parser to an ApiError; unknown faults become 500. */
export function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    return new InvalidRequestError(issue?.message ?? 'Invalid request.', {
      param: issue && issue.path.length > 0 ? issue.path.join('.') : null,
      code: 'invalid_value',
    });
  }
  const multer = translateMulterError(error);
  if (multer) return multer;
  const http = error as HttpLikeError | null;
  if (http?.type === 'entity.parse.failed') return new InvalidRequestError(JSON_PARSE_MESSAGE);
  if (http?.type === 'entity.too.large') {
    return new PayloadTooLargeError('The request body is too large.', { code: 'request_too_large' });
  }
  if (http?.type === 'encoding.unsupported' || http?.type === 'charset.unsupported') {
    return new InvalidRequestError('Unsupported content encoding of the request body.', { code: 'invalid_encoding' });
  }
  if (isClientAbort(error)) return new InvalidRequestError('The request body was cut short.', { code: 'request_aborted' });
  if (isRedisUnavailableError(error)) {
    return new ServiceUnavailableError('The job queue is unavailable right now. Please retry shortly.', { code: 'queue_unavailable' });
  }
  if (error instanceof StorageUnavailableError) {
    return new ServiceUnavailableError('Image storage is unavailable right now. Please retry shortly.', {
      code: 'storage_unavailable',
      headers: { 'x-should-retry': 'true' },
    });
  }
  // Anything else that already says it is the client's fault: zlib on a body that is not what its
  // Content-Encoding claims, the router on a path that does not percent-decode, any http-errors error.
  const status = http?.status ?? http?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return clientError(status, error);
  return null;
}

function clientError(status: number, error: unknown): ApiError {
  const detail = error instanceof Error && error.message ? ` (${error.message})` : '';
  switch (status) {
    case 404:
      return new NotFoundError(`Not found${detail}.`, { code: 'not_found' });
    case 413:
      return new PayloadTooLargeError('The request body is too large.', { code: 'request_too_large' });
    case 400:
      return new InvalidRequestError(`The request could not be read${detail}.`, { code: 'invalid_request' });
    default:
      return new ClientRequestError(status, `The request was refused${detail}.`, { code: 'invalid_request' });
  }
}

/** OpenAI's answer for a path it does not serve, word for word. */
export function notFoundRoute(req: Request, _res: Response, next: NextFunction): void {
  next(
    new NotFoundError(
      `Unknown request URL: ${req.method} ${req.path}. Please check the URL for typos, or see the docs at https://platform.openai.com/docs/api-reference/.`,
      { code: 'unknown_url' },
    ),
  );
}

/**
 * The answer for anything a request handler threw, logged as what it is: a fault nobody
 * mapped (500, with its stack) or a server-side failure the caller is told of (warn).
 * Streams that already sent their headers answer with it in a frame.
 */
export function answerFor(error: unknown, logger: Logger, context: Record<string, unknown>): ApiError {
  const apiError = toApiError(error);
  if (!apiError) {
    logger.error({ err: error, ...context }, 'unhandled error');
    return new InternalError('The server had an error while processing your request. Sorry about that!');
  }
  if (apiError.status >= 500) logger.warn({ ...context, status: apiError.status, message: apiError.message }, 'request failed');
  return apiError;
}

/** The one place errors become responses: OpenAI's body shape plus x-request-id. */
export function createErrorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const requestId = String(res.locals.requestId ?? '');
    if (isClientAbort(error)) {
      // An everyday event (a closed tab, a cancelled upload), not a server fault; nobody is left to answer.
      logger.info({ requestId, method: req.method, path: req.path }, 'client went away before its request was read');
      if (!res.headersSent && !res.destroyed) res.status(400).json(toApiError(error)?.toBody());
      return;
    }
    const apiError = answerFor(error, logger, { requestId, method: req.method, path: req.path });
    if (res.headersSent) {
      res.end();
      return;
    }
    res.setHeader('x-request-id', requestId);
    for (const [name, value] of Object.entries(apiError.headers)) res.setHeader(name, value);
    res.status(apiError.status).json(apiError.toBody());
  };
}
