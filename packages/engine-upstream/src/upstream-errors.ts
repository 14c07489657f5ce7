import { ForwardedApiError, InternalError, type ApiError } from '@imageforge/contracts';

/** OpenAI's error body, read leniently: an OpenAI-compatible server may send less. */
interface ErrorFields {
  message?: unknown;
  type?: unknown;
  param?: unknown;
  code?: unknown;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : typeof value === 'number' ? String(value) : null);

/**
 * The upstream's error as our caller gets it: its status, type, message, param and code as
 * they came. A 401 is the exception: the key in our config was refused, which the caller
 * can neither see nor fix, so it is our server error rather than their AuthenticationError.
 */
export function forwardedError(status: number, body: string, baseUrl: string): ApiError {
  const fields = errorFields(body);
  const message = text(fields?.message) ?? `The upstream answered ${status}${body.trim() ? `: ${body.trim().slice(0, 300)}` : ''}`;
  if (status === 401) {
    return new InternalError(`The upstream ${baseUrl} refused the configured API key: ${message}`, { code: 'upstream_authentication_failed' });
  }
  const type = text(fields?.type) ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
  return new ForwardedApiError(status, type, message, { param: text(fields?.param), code: text(fields?.code) });
}

/** A one-line summary of a failed try, for the error a job records when the tries run out. */
export function failureSummary(status: number, body: string): string {
  const message = text(errorFields(body)?.message) ?? body.trim().slice(0, 200);
  return `${status}${message ? ` ${message}` : ''}`;
}

function errorFields(body: string): ErrorFields | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'object' && parsed.error !== null) return parsed.error as ErrorFields;
    if (typeof parsed.error === 'string') return { message: parsed.error };
    return parsed as ErrorFields;
  } catch {
    return undefined;
  }
}
