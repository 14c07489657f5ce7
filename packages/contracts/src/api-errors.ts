/**
 * One error hierarchy mirroring the classes openai-node maps status codes to
 * (BadRequestError, AuthenticationError, …). The error middleware renders any
 * ApiError as OpenAI's `{"error":{message,type,param,code}}` body.
 */
export interface ApiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface ApiErrorOptions {
  param?: string | null;
  code?: string | null;
  /** Extra response headers, e.g. `x-job-id` on a sync timeout. */
  headers?: Record<string, string>;
}

export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly type: string;
  readonly param: string | null;
  readonly code: string | null;
  readonly headers: Record<string, string>;

  constructor(message: string, options: ApiErrorOptions = {}) {
    super(message);
    this.name = new.target.name;
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.headers = options.headers ?? {};
  }

  toBody(): ApiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export class InvalidRequestError extends ApiError {
  readonly status = 400;
  readonly type = 'invalid_request_error';
}

export class AuthenticationError extends ApiError {
  readonly status = 401;
  readonly type = 'invalid_request_error';
}

export class PermissionDeniedError extends ApiError {
  readonly status = 403;
  readonly type = 'invalid_request_error';
}

export class NotFoundError extends ApiError {
  readonly status = 404;
  readonly type = 'invalid_request_error';
}

export class ConflictError extends ApiError {
  readonly status = 409;
  readonly type = 'invalid_request_error';
}

export class PayloadTooLargeError extends ApiError {
  readonly status = 413;
  readonly type = 'invalid_request_error';
}

/**
 * A client error of a status the SDK has no class of its own for (415, 431, …), or
 * one raised by a parser below our code (a broken gzip body, an undecodable path):
 * still OpenAI's body, with the status it was raised with.
 */
export class ClientRequestError extends ApiError {
  readonly type = 'invalid_request_error';

  constructor(
    readonly status: number,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message, options);
  }
}

/**
 * An error another OpenAI-compatible server answered (an upstream engine's 4xx), handed to
 * our caller with its status and type as they were, so the SDK raises the same class.
 */
export class ForwardedApiError extends ApiError {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message, options);
  }
}

/**
 * 429. OpenAI's `type` names what ran out: `requests` (per-minute requests), `tokens` (we count
 * `images`, our counterpart of tokens), or `insufficient_quota` for a spent quota.
 */
export class RateLimitError extends ApiError {
  readonly status = 429;
  readonly type: string;

  constructor(message: string, options: ApiErrorOptions & { type?: string } = {}) {
    super(message, options);
    this.type = options.type ?? 'requests';
  }
}

export class InternalError extends ApiError {
  readonly status = 500;
  readonly type = 'server_error';
}

export class ServiceUnavailableError extends ApiError {
  readonly status = 503;
  readonly type = 'server_error';
}

/** The sync wait ran past the server's limit; the job goes on and can be polled. */
export class TimeoutError extends ApiError {
  readonly status = 504;
  readonly type = 'server_error';
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}
