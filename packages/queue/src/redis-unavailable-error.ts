/** Thrown before talking to Redis when the producer's connection is known to be down. */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';

  constructor(message = 'Redis is unavailable', options?: { cause?: unknown }) {
    super(message, options);
  }
}

const UNAVAILABLE_MESSAGES = [
  // ioredis with enableOfflineQueue: false while disconnected or reconnecting.
  "Stream isn't writeable",
  // ioredis CONNECTION_CLOSED_ERROR_MSG and BullMQ's ConnectionClosedError.
  'Connection is closed',
  'Command timed out',
  'Reached the max retries per request limit',
  'Failed to refresh slots cache',
  'None of startup nodes is available',
];

const UNAVAILABLE_NAMES = new Set(['RedisUnavailableError', 'MaxRetriesPerRequestError', 'ConnectionClosedError', 'ClusterAllFailedError']);

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

// Replies a healthy client gets from a server that cannot serve yet (restart, failover).
const UNAVAILABLE_REPLY_PREFIXES = ['LOADING ', 'MASTERDOWN ', 'TRYAGAIN '];

/**
 * True for the errors ioredis and BullMQ raise when Redis cannot be reached,
 * which the API answers with 503 rather than 500. Looks through `cause` chains
 * and AggregateErrors, since connect failures arrive wrapped.
 */
export function isRedisUnavailableError(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const { name, message, code, cause, errors } = error as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof name === 'string' && UNAVAILABLE_NAMES.has(name)) return true;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  if (typeof message === 'string') {
    if (UNAVAILABLE_MESSAGES.some((fragment) => message.includes(fragment))) return true;
    if (UNAVAILABLE_REPLY_PREFIXES.some((prefix) => message.startsWith(prefix))) return true;
    if ([...UNAVAILABLE_CODES].some((unavailableCode) => message.includes(unavailableCode))) return true;
  }
  if (Array.isArray(errors) && errors.some((inner) => isRedisUnavailableError(inner, depth + 1))) return true;
  return isRedisUnavailableError(cause, depth + 1);
}
